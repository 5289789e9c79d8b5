/**
 * @module adapters/postgres/postgres-stores
 * The three PostgreSQL stores of a deployment on one connection pool: the
 * event store, the log and the checkpoint store. One pool, because a
 * stream's sink append and its checkpoint commit must share a transaction
 * (`appendIn` / `commitIn`), and because three pools of ten connections per
 * process add up fast against `max_connections`.
 */
import pg from 'pg';
import type { Clock } from '../../core/clock.js';
import { PostgresCheckpointStore } from './postgres-checkpoint-store.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { PostgresLog } from './postgres-log.js';

export interface PostgresStoresOptions {
  /** `postgres://user:password@host:port/database`; never shown in errors or logs. */
  connectionString: string;
  /** @defaultValue `'millrace'` */
  schema?: string;
  clock?: Clock;
  /** Connections in the shared pool. @defaultValue 20 */
  maxConnections?: number;
  /** Shown in `pg_stat_activity`. @defaultValue `'millrace'` */
  applicationName?: string;
}

export interface PostgresStores {
  readonly pool: pg.Pool;
  readonly events: PostgresEventStore;
  readonly log: PostgresLog;
  readonly checkpoints: PostgresCheckpointStore;
  /** Closes the three stores, then ends the pool. */
  close(): Promise<void>;
}

/**
 * Opens the pool and applies every store's migrations, so an unreachable
 * server or a refused login fails here, at start, not on the first write.
 *
 * @throws `NOT_AVAILABLE` naming `host:port` (never the credentials) when the server cannot be reached
 */
export async function openPostgresStores(options: PostgresStoresOptions): Promise<PostgresStores> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName ?? 'millrace',
    max: options.maxConnections ?? 20,
  });
  // Idle connections the server drops are reported here; the pool has already discarded them.
  pool.on('error', () => undefined);
  const shared = { pool, connectionString: options.connectionString, schema: options.schema, clock: options.clock };
  const events = new PostgresEventStore(shared);
  const log = new PostgresLog(shared);
  const checkpoints = new PostgresCheckpointStore(shared);
  const close = async (): Promise<void> => {
    await Promise.allSettled([events.close(), log.close(), checkpoints.close()]);
    await pool.end();
  };
  try {
    // One after another: the migrations of one schema take the same lock anyway.
    await events.migrate();
    await log.migrate();
    await checkpoints.migrate();
  } catch (error) {
    await close();
    throw error;
  }
  return { pool, events, log, checkpoints, close };
}
