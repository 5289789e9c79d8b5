/**
 * @module testing/simulate
 * Runs a process definition to its end against plain functions in place of
 * workers: every scheduled task is answered at once by its handler (or its
 * thrown error), on a clock that moves 1 ms per command. No threads, no
 * storage, no time passing: a whole DAG in microseconds. The recorded
 * history (each command with the events it caused) is what `replayHistory`
 * checks later.
 */
import { toFailure } from '../core/failure.js';
import type { ProcessCommand } from '../jobs/process-commands.js';
import { decide } from '../jobs/process-decider.js';
import type { ProcessDefinition } from '../jobs/process-definition.js';
import type { ProcessEvent, TaskScheduled } from '../jobs/process-events.js';
import type { ProcessState } from '../jobs/process-state.js';

/** A stand-in for a task: gets the input and the attempt, returns the output or throws. */
export type SimulatedHandler = (input: unknown, context: { attempt: number; taskId: string }) => unknown;

/** One step of a recorded history. */
export interface HistoryEntry {
  command: ProcessCommand;
  events: ProcessEvent[];
}

/** A history as stored in `test/fixtures/histories/*.json`. */
export interface RecordedHistory {
  definition: string;
  version: number;
  /** What the history shows, for the reader of a failing replay. */
  description: string;
  entries: HistoryEntry[];
}

export interface SimulationResult {
  state: ProcessState;
  history: RecordedHistory;
}

export interface SimulateOptions {
  processId?: string;
  /** Clock start. @defaultValue 0 */
  startAt?: number;
  description?: string;
  /** Safety bound on commands. @defaultValue 100 000 */
  maxCommands?: number;
}

/** Runs `definition` on `input` until it completes or fails. */
export function simulateProcess(definition: ProcessDefinition, input: unknown, handlers: Readonly<Record<string, SimulatedHandler>>, options: SimulateOptions = {}): SimulationResult {
  const processId = options.processId ?? 'sim';
  let now = options.startAt ?? 0;
  let state: ProcessState | undefined;
  const entries: HistoryEntry[] = [];
  const queue: Array<TaskScheduled['data']> = [];
  const run = (command: ProcessCommand): void => {
    const decision = decide(state, command, definition);
    state = decision.state;
    entries.push({ command, events: structuredClone(decision.events) });
    for (const event of decision.events) if (event.type === 'TaskScheduled') queue.push(event.data);
  };
  run({ type: 'StartProcess', processId, definition: definition.name, version: definition.version, input, now });
  for (let commands = 0; queue.length > 0 && state?.status === 'running'; commands++) {
    if (commands >= (options.maxCommands ?? 100_000)) throw new Error(`simulation of ${definition.name} did not finish in ${commands} commands`);
    const task = queue.shift()!;
    now = Math.max(now + 1, task.notBefore);
    const handler = handlers[task.task];
    if (handler === undefined) throw new Error(`no simulated handler for task "${task.task}"`);
    try {
      const output = handler(task.input, { attempt: task.attempt, taskId: task.taskId });
      run({ type: 'CompleteTask', taskId: task.taskId, attempt: task.attempt, output, now });
    } catch (error) {
      run({ type: 'FailTask', taskId: task.taskId, attempt: task.attempt, failure: toFailure(error), now });
    }
  }
  return {
    state: state!,
    history: { definition: definition.name, version: definition.version, description: options.description ?? '', entries },
  };
}
