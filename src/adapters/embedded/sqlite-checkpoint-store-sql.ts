/**
 * @module adapters/embedded/sqlite-checkpoint-store-sql
 * Schema and statements of `SqliteCheckpointStore`. Values are always bound
 * parameters; nothing here is built by concatenation.
 */
import type { Migration } from './sqlite-database.js';

/** Component name under which the checkpoint store's migrations are tracked. */
export const CHECKPOINT_STORE_COMPONENT = 'checkpoint-store';

/**
 * One row per pipeline, replaced on each commit: state and offsets share the
 * row, so no reader can ever pair the state of one commit with the offsets
 * of another. `crc` covers the whole row (see `checkpointChecksum`). A
 * rowid table rather than WITHOUT ROWID, because operator state can be large.
 */
export const CHECKPOINT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '0001_checkpoints',
    sql: `
      CREATE TABLE millrace_checkpoints (
        pipeline TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state BLOB NOT NULL,
        offsets TEXT NOT NULL,
        committed_at INTEGER NOT NULL,
        crc INTEGER NOT NULL
      );`,
  },
];

/** The latest checkpoint of a pipeline. */
export const SELECT_CHECKPOINT = 'SELECT version, state, offsets, committed_at, crc FROM millrace_checkpoints WHERE pipeline = ?';

/** Only the version, for the fencing check (no need to read the state). */
export const SELECT_CHECKPOINT_VERSION = 'SELECT version FROM millrace_checkpoints WHERE pipeline = ?';

/** Writes the whole row at once, so state and offsets always come from the same commit. */
export const UPSERT_CHECKPOINT = `
  INSERT INTO millrace_checkpoints (pipeline, version, state, offsets, committed_at, crc) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (pipeline) DO UPDATE SET
    version = excluded.version, state = excluded.state, offsets = excluded.offsets,
    committed_at = excluded.committed_at, crc = excluded.crc`;

/** A row of `millrace_checkpoints` as read; `unknown` where a damaged file could hold anything. */
export interface CheckpointRow {
  version: number;
  state: unknown;
  offsets: unknown;
  committed_at: number;
  crc: unknown;
}
