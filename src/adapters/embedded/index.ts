/**
 * @module millrace/embedded
 * The embedded adapters: SQLite (through better-sqlite3) for the queue,
 * event store, log and checkpoints; the file system for blobs; memory for
 * ephemeral request/reply traffic. `createMillrace` wires them for you;
 * import them directly to build your own wiring or to run a port's contract
 * suite.
 */
export { SqliteTaskQueue, type SqliteTaskQueueOptions } from './sqlite-task-queue.js';
export { MemoryTaskQueue, type MemoryTaskQueueOptions } from './memory-task-queue.js';
export { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store.js';
export { SqliteLog, type SqliteLogOptions } from './sqlite-log.js';
export { SqliteCheckpointStore, type SqliteCheckpointStoreOptions } from './sqlite-checkpoint-store.js';
export { FileBlobStore, type FileBlobStoreOptions } from './file-blob-store.js';
export { openSqlite, type SqliteDatabase, type Migration } from './sqlite-database.js';
export type { SqliteSource } from './sqlite-source.js';
