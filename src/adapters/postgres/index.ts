/**
 * @module millrace/postgres
 * The cluster adapters on PostgreSQL (through node-postgres): the event
 * store, the log and the checkpoint store, each in a schema per deployment
 * that it creates and migrates at start. Give them one shared `pg.Pool` to
 * bound connections and to commit a log append and a checkpoint in one
 * transaction (`withTransaction` + `appendIn` + `commitIn`). See
 * docs/cluster.md for tables, sizing and guarantees.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { PostgresCheckpointStore, PostgresLog } from 'millrace/postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * pool.on('error', () => {}) // idle connections dropped by the server are replaced on next use
 * const log = new PostgresLog({ pool, schema: 'analytics' })
 * const checkpoints = new PostgresCheckpointStore({ pool, schema: 'analytics' })
 * await checkpoints.withTransaction(async (client) => {
 *   await log.appendIn(client, 'totals', [{ key: 'eu', value: 42 }])
 *   await checkpoints.commitIn(client, 'totals-pipeline', { state, offsets: { 'clicks/0': 1200 }, expectedVersion })
 * })
 * ```
 */
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store.js';
export { PostgresLog, type PostgresLogOptions } from './postgres-log.js';
export type { RecordPosition } from './postgres-log-append.js';
export { PostgresCheckpointStore, type PostgresCheckpointStoreOptions } from './postgres-checkpoint-store.js';
export type { PostgresOptions } from './pg-database.js';
export { DEFAULT_SCHEMA, validateSchema } from './pg-schema.js';
