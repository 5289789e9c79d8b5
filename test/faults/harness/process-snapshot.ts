/** A process state as plain JSON (its Maps as sorted entries), so a state held in memory and one rebuilt from events compare with deepEqual. */
import type { ProcessState } from '../../../src/jobs/process-state.js';

export function serialiseState(state: ProcessState | undefined): unknown {
  if (state === undefined) return null;
  const sorted = <V>(map: Map<string, V>): Array<[string, V]> => [...map].sort(([a], [b]) => a.localeCompare(b));
  return JSON.parse(JSON.stringify({ ...state, steps: sorted(state.steps), tasks: sorted(state.tasks) })) as unknown;
}
