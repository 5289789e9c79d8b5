/**
 * @module ports
 * The interfaces domain code depends on. Adapters implement them; see each
 * file's doc comment for the contract every adapter must keep.
 */
export type * from './blob-store.js';
export type * from './task-queue.js';
export type * from './event-store.js';
export type * from './log.js';
export type * from './checkpoint-store.js';
export { QUEUE_NAME_PATTERN } from './task-queue.js';
