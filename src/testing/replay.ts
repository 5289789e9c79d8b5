/**
 * @module testing/replay
 * Replays a recorded history through the current code: each recorded
 * command is decided again on the state folded so far, and the events must
 * be the ones recorded. A change to the decider, the fold or a definition
 * that would make a running process behave differently fails here, before
 * it ships — the same guard Temporal users get from replaying workflow
 * histories.
 */
import { AssertionError } from 'node:assert';
import { decide } from '../jobs/process-decider.js';
import type { ProcessDefinition } from '../jobs/process-definition.js';
import type { ProcessState } from '../jobs/process-state.js';
import { evolve } from '../jobs/process-state.js';
import { assertEvents } from './specification.js';
import type { RecordedHistory } from './simulate.js';

/** Definitions by name and version, or a list of them. */
export type DefinitionSource = readonly ProcessDefinition[] | ((name: string, version: number) => ProcessDefinition | undefined);

/** Replays one history. @throws AssertionError naming the entry that diverged */
export function replayHistory(history: RecordedHistory, definitions: DefinitionSource): void {
  const definition = typeof definitions === 'function'
    ? definitions(history.definition, history.version)
    : definitions.find((d) => d.name === history.definition && d.version === history.version);
  if (definition === undefined) {
    throw new AssertionError({ message: `history "${history.description}" needs process ${history.definition} v${history.version}, which is not provided` });
  }
  let state: ProcessState | undefined;
  history.entries.forEach((entry, index) => {
    const decision = decide(state === undefined ? undefined : structuredClone(state), structuredClone(entry.command), definition);
    assertEvents(decision.events, entry.events, `at entry ${index} (${entry.command.type}) of "${history.description}"`);
    for (const event of structuredClone(entry.events)) state = evolve(state, event);
  });
}
