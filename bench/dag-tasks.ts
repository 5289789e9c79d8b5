/**
 * The task module of the `dag` benchmark's millrace row: the fan-out lists
 * the items, each item's task does nothing, the fan-in counts the outputs it
 * received (so the run proves every output reached it).
 */
import { defineTask } from '../src/task.js';

export const dagFanOut = defineTask('dag-fan-out', (input: { tasks: number }) => Array.from({ length: input.tasks }, (_, i) => i));
export const dagNoop = defineTask('dag-noop', () => null);
export const dagFanIn = defineTask('dag-fan-in', (outputs: readonly unknown[]) => outputs.length);
