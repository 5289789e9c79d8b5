/**
 * @module testing/specification
 * Specifications for process definitions: given these events, when this
 * command, then these events. They run the real decider, with no I/O, no
 * clock and no workers, so a rule ("a completion from a superseded attempt is
 * rejected") is tested in a few lines and in microseconds.
 *
 * @example
 * ```ts
 * given(thumbnails, [started, scheduled])
 *   .when({ type: 'CompleteTask', taskId: 'p1/list/0', attempt: 1, output: ['a.png'], now: 10 })
 *   .then([{ type: 'TaskCompleted', data: { … } }, …])
 * ```
 */
import { AssertionError, deepStrictEqual } from 'node:assert';
import type { CommandOutcome, ProcessCommand } from '../jobs/process-commands.js';
import { decide } from '../jobs/process-decider.js';
import type { ProcessDefinition } from '../jobs/process-definition.js';
import type { ProcessEvent } from '../jobs/process-events.js';
import { foldProcess, type ProcessState } from '../jobs/process-state.js';

export interface Specification {
  when(command: ProcessCommand): SpecificationResult;
}

export interface SpecificationResult {
  /** The events decided, for custom checks. */
  readonly events: ProcessEvent[];
  readonly outcome: CommandOutcome;
  /** State after the events. */
  readonly state: ProcessState | undefined;
  /** Asserts exactly these events, in order (deep equality; `undefined` fields ignored). */
  then(expected: readonly ProcessEvent[]): SpecificationResult;
  /** Asserts what became of the command. */
  thenOutcome(expected: CommandOutcome): SpecificationResult;
}

/** Starts a specification from a history. */
export function given(definition: ProcessDefinition, history: readonly ProcessEvent[]): Specification {
  return {
    when(command) {
      const state = foldProcess(structuredClone(history) as ProcessEvent[]);
      const decision = decide(state, command, definition);
      const result: SpecificationResult = {
        events: decision.events,
        outcome: decision.outcome,
        state: decision.state,
        then(expected) {
          assertEvents(decision.events, expected, `after ${command.type}`);
          return result;
        },
        thenOutcome(expected) {
          if (decision.outcome !== expected) {
            throw new AssertionError({ message: `expected ${command.type} to be ${expected}, but it was ${decision.outcome}`, actual: decision.outcome, expected, operator: 'thenOutcome' });
          }
          return result;
        },
      };
      return result;
    },
  };
}

/** Deep-equal comparison of event lists with a message naming the first difference. */
export function assertEvents(actual: readonly ProcessEvent[], expected: readonly ProcessEvent[], where: string): void {
  const clean = (events: readonly ProcessEvent[]): unknown => JSON.parse(JSON.stringify(events)) as unknown;
  try {
    deepStrictEqual(clean(actual), clean(expected));
  } catch (error) {
    const index = firstDifference(actual, expected);
    const detail = index === undefined ? '' : ` (first difference at event ${index}: expected ${expected[index]?.type ?? 'nothing'}, got ${actual[index]?.type ?? 'nothing'})`;
    throw new AssertionError({ message: `events ${where} differ${detail}`, actual: clean(actual), expected: clean(expected), operator: 'then' });
    void error;
  }
}

function firstDifference(actual: readonly ProcessEvent[], expected: readonly ProcessEvent[]): number | undefined {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) return i;
  }
  return undefined;
}
