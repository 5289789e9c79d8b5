/** The task module of the `millrace-threads` bench row: one task that does nothing. */
import { defineTask } from '../src/task.js';

export const noop = defineTask('noop', () => null);
