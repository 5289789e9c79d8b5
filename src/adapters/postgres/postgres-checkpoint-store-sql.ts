/**
 * @module adapters/postgres/postgres-checkpoint-store-sql
 * Schema and statements of `PostgresCheckpointStore`. `{schema}` is
 * replaced by the deployment's quoted schema name; values are always bound
 * parameters.
 */
import type { PgMigration } from './pg-schema.js';

/** Component name under which the checkpoint store's migrations are tracked. */
export const CHECKPOINT_STORE_COMPONENT = 'checkpoint-store';

/**
 * One row per pipeline, replaced on each commit: state and offsets share the
 * row, so no reader can pair the state of one commit with the offsets of
 * another. `offsets` is jsonb so operators can query lag in SQL; `crc`
 * covers the whole row, offsets in a canonical order (jsonb does not keep
 * the text it was given), because damaged state restored after a crash
 * would silently corrupt every result that follows.
 */
const CREATE_CHECKPOINTS = `
  CREATE TABLE {schema}.checkpoints (
    pipeline text PRIMARY KEY,
    version bigint NOT NULL CHECK (version > 0),
    state bytea NOT NULL,
    offsets jsonb NOT NULL,
    committed_at bigint NOT NULL,
    crc bigint NOT NULL
  )`;

/** The checkpoint store's numbered migrations. */
export const CHECKPOINT_STORE_MIGRATIONS: readonly PgMigration[] = [{ version: 1, name: '0001_checkpoints', statements: [CREATE_CHECKPOINTS] }];

/** The latest checkpoint of a pipeline; offsets as text, decoded by our own codec. */
export const SELECT_CHECKPOINT = 'SELECT version, state, offsets::text AS offsets, committed_at, crc FROM {schema}.checkpoints WHERE pipeline = $1';

/** Only the version, to name the actual version in a conflict. */
export const SELECT_CHECKPOINT_VERSION = 'SELECT version FROM {schema}.checkpoints WHERE pipeline = $1';

/**
 * The first commit of a pipeline (expected version 0): a concurrent first
 * commit makes this one do nothing, which the caller reports as a conflict.
 * $1 pipeline, $2 state, $3 offsets, $4 committed_at, $5 crc.
 */
export const INSERT_FIRST_CHECKPOINT = `
  INSERT INTO {schema}.checkpoints (pipeline, version, state, offsets, committed_at, crc)
  VALUES ($1, 1, $2, $3::jsonb, $4, $5)
  ON CONFLICT (pipeline) DO NOTHING
  RETURNING version`;

/**
 * Every later commit, fenced: it changes the row only if the row is still at
 * the expected version. A racing committer waits on the row lock, then
 * re-checks the condition against the winner's row and matches nothing.
 * $1 pipeline, $2 expected version, $3 state, $4 offsets, $5 committed_at, $6 crc.
 */
export const UPDATE_CHECKPOINT = `
  UPDATE {schema}.checkpoints
  SET version = version + 1, state = $3, offsets = $4::jsonb, committed_at = $5, crc = $6
  WHERE pipeline = $1 AND version = $2
  RETURNING version`;

/** A row of `checkpoints` as read; `bigint` columns arrive as strings, `unknown` where damage could put anything. */
export interface CheckpointRow {
  version: string;
  state: unknown;
  offsets: unknown;
  committed_at: string;
  crc: string;
}
