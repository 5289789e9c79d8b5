/**
 * @module adapters/embedded/sqlite-checkpoint-store
 * The embedded `CheckpointStore`: one SQLite row per pipeline holding state
 * and offsets, replaced by a fenced upsert. The version check and the write
 * share one IMMEDIATE transaction, so a zombie committer from another
 * process cannot slip in between them.
 */
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { decodeJson, encodeJson } from '../../core/json-codec.js';
import type { Checkpoint, CheckpointCommit, CheckpointStore, InputOffsets } from '../../ports/checkpoint-store.js';
import { checkpointChecksum } from '../common/checkpoint-checksum.js';
import {
  CHECKPOINT_STORE_COMPONENT,
  CHECKPOINT_STORE_MIGRATIONS,
  SELECT_CHECKPOINT,
  SELECT_CHECKPOINT_VERSION,
  UPSERT_CHECKPOINT,
  type CheckpointRow,
} from './sqlite-checkpoint-store-sql.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { attachSqlite, translateSqliteError, type SqliteSource } from './sqlite-source.js';

/** Options for {@link SqliteCheckpointStore}: a `path` or a shared `database`, plus a clock. */
export type SqliteCheckpointStoreOptions = SqliteSource & {
  /** Source of `committedAt`. @defaultValue a `SystemClock` */
  clock?: Clock;
};

/**
 * SQLite implementation of {@link CheckpointStore}. Durable on resolve (WAL,
 * `synchronous = FULL`); each row carries a CRC32 checked on load, because
 * damaged state restored after a crash would silently corrupt every result
 * that follows.
 *
 * @example
 * ```ts
 * // Output records and the checkpoint that covers them, in one transaction:
 * const log = new SqliteLog({ path: '.millrace/streams.db' })
 * const checkpoints = new SqliteCheckpointStore({ database: log.database })
 * log.database.transaction(() => {
 *   log.appendSync('totals', outputs)
 *   checkpoints.commitSync('totals-pipeline', { state, offsets, expectedVersion })
 * }).immediate()
 * ```
 */
export class SqliteCheckpointStore implements CheckpointStore {
  /** The underlying handle, for callers who share it with other embedded adapters. */
  readonly database: SqliteDatabase;
  private readonly owned: boolean;
  private readonly clock: Clock;
  private closed = false;
  private readonly statements;
  private readonly commitTransaction;

  constructor(options: SqliteCheckpointStoreOptions) {
    const { db, owned } = attachSqlite(options, CHECKPOINT_STORE_COMPONENT, CHECKPOINT_STORE_MIGRATIONS);
    this.database = db;
    this.owned = owned;
    this.clock = options.clock ?? new SystemClock();
    this.statements = {
      load: db.prepare<[string], CheckpointRow>(SELECT_CHECKPOINT),
      version: db.prepare<[string], { version: number }>(SELECT_CHECKPOINT_VERSION),
      upsert: db.prepare(UPSERT_CHECKPOINT),
    };
    this.commitTransaction = db.transaction((pipeline: string, state: Uint8Array, offsets: string, expected: number) =>
      this.commitLocked(pipeline, state, offsets, expected),
    );
  }

  async load(pipeline: string): Promise<Checkpoint | undefined> {
    this.assertOpen();
    const row = this.run(() => this.statements.load.get(pipeline), pipeline);
    return row === undefined ? undefined : toCheckpoint(pipeline, row);
  }

  async commit(pipeline: string, checkpoint: CheckpointCommit): Promise<number> {
    return this.commitSync(pipeline, checkpoint);
  }

  /**
   * `commit`, synchronously. Called inside `database.transaction(...)` it
   * joins that transaction (as a savepoint): a conflict thrown here rolls
   * back everything else the transaction wrote, log appends included.
   */
  commitSync(pipeline: string, checkpoint: CheckpointCommit): number {
    this.assertOpen();
    for (const [input, offset] of Object.entries(checkpoint.offsets)) {
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new MillraceError('CONFIG_INVALID', `offset of ${input} must be a whole number ≥ 0, not ${offset}`, { pipeline, input });
      }
    }
    const offsets = encodeJson(checkpoint.offsets);
    return this.run(() => this.commitTransaction.immediate(pipeline, checkpoint.state, offsets, checkpoint.expectedVersion), pipeline);
  }

  /** Closes the database if this store opened it; a shared `database` stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) this.database.close();
  }

  /** Runs inside the write lock. */
  private commitLocked(pipeline: string, state: Uint8Array, offsets: string, expected: number): number {
    const actual = this.statements.version.get(pipeline)?.version ?? 0;
    if (actual !== expected) {
      throw new MillraceError('CHECKPOINT_CONFLICT', `checkpoint of ${pipeline} is at version ${actual}, expected ${expected}`, { pipeline, expected, actual });
    }
    const version = actual + 1;
    const committedAt = this.clock.now();
    const crc = checkpointChecksum(pipeline, version, committedAt, offsets, state);
    this.statements.upsert.run(pipeline, version, state, offsets, committedAt, crc);
    return version;
  }

  private run<T>(operation: () => T, pipeline: string): T {
    try {
      return operation();
    } catch (error) {
      throw translateSqliteError(error, { pipeline });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new MillraceError('CHECKPOINT_CLOSED', 'checkpoint store is closed');
  }
}

function toCheckpoint(pipeline: string, row: CheckpointRow): Checkpoint {
  const { version, state, offsets, committed_at: committedAt, crc } = row;
  const intact =
    state instanceof Uint8Array &&
    typeof offsets === 'string' &&
    crc === checkpointChecksum(pipeline, version, committedAt, offsets, state);
  if (!intact) throw corrupt(pipeline, version);
  let decoded: unknown;
  try {
    decoded = decodeJson(offsets);
  } catch (cause) {
    throw corrupt(pipeline, version, cause);
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw corrupt(pipeline, version);
  // A copy, not a view: better-sqlite3 may hand out slices of a shared pool.
  return { pipeline, state: new Uint8Array(state), offsets: decoded as InputOffsets, version, committedAt };
}

function corrupt(pipeline: string, version: number, cause?: unknown): MillraceError {
  return new MillraceError('STORAGE_CORRUPT', `checkpoint of ${pipeline} (version ${version}) failed its checksum`, { pipeline, version }, { cause });
}
