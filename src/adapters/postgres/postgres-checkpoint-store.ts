/**
 * @module adapters/postgres/postgres-checkpoint-store
 * The cluster `CheckpointStore`: one PostgreSQL row per pipeline holding
 * state (bytea) and offsets (jsonb), replaced by a fenced statement — an
 * INSERT … ON CONFLICT DO NOTHING for the first commit, an UPDATE … WHERE
 * version = expected after — so the check and the write are one atomic
 * step and a zombie committer changes nothing.
 *
 * For exactly-once streams, `commitIn` runs the same statement on a
 * connection inside the caller's transaction, next to `PostgresLog.appendIn`:
 *
 * ```ts
 * await checkpoints.withTransaction(async (client) => {
 *   await log.appendIn(client, 'totals', outputs)
 *   await checkpoints.commitIn(client, 'totals-pipeline', { state, offsets, expectedVersion })
 * })
 * ```
 */
import type { Pool, PoolClient } from 'pg';
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { decodeJson, encodeJson } from '../../core/json-codec.js';
import type { Checkpoint, CheckpointCommit, CheckpointStore, InputOffsets } from '../../ports/checkpoint-store.js';
import { checkpointChecksum } from '../common/checkpoint-checksum.js';
import { PgDatabase, type PgStatement, type PostgresOptions } from './pg-database.js';
import { assertStorableText } from './pg-errors.js';
import {
  CHECKPOINT_STORE_COMPONENT,
  CHECKPOINT_STORE_MIGRATIONS,
  INSERT_FIRST_CHECKPOINT,
  SELECT_CHECKPOINT,
  SELECT_CHECKPOINT_VERSION,
  UPDATE_CHECKPOINT,
  type CheckpointRow,
} from './postgres-checkpoint-store-sql.js';

/** Options for {@link PostgresCheckpointStore}: connection settings plus a clock. */
export type PostgresCheckpointStoreOptions = PostgresOptions & {
  /** Source of `committedAt`. @defaultValue a `SystemClock` */
  clock?: Clock;
};

/** A commit ready to send: validated, stamped and checksummed before any connection is taken. */
interface PreparedCommit {
  pipeline: string;
  expected: number;
  state: Uint8Array;
  offsets: string;
  committedAt: number;
  crc: number;
}

/**
 * PostgreSQL implementation of {@link CheckpointStore}. Durable on resolve;
 * each row carries a CRC32 checked on load (`STORAGE_CORRUPT`).
 * Connections carry `application_name` `millrace-checkpoint-store` when the
 * store opens its own pool.
 *
 * @example
 * ```ts
 * const checkpoints = new PostgresCheckpointStore({ connectionString: process.env.DATABASE_URL })
 * const last = await checkpoints.load('totals')
 * await checkpoints.commit('totals', { state, offsets: { 'clicks/0': 1200 }, expectedVersion: last?.version ?? 0 })
 * ```
 */
export class PostgresCheckpointStore implements CheckpointStore {
  /** The pool in use (the caller's, or the store's own); share it with `PostgresLog` for joint commits. */
  readonly pool: Pool;
  private readonly db: PgDatabase;
  private readonly clock: Clock;
  private readonly statements;
  private closed = false;

  constructor(options: PostgresCheckpointStoreOptions = {}) {
    this.db = new PgDatabase(options, { name: CHECKPOINT_STORE_COMPONENT, applicationName: 'millrace-checkpoint-store', migrations: CHECKPOINT_STORE_MIGRATIONS });
    this.pool = this.db.pool;
    this.clock = options.clock ?? new SystemClock();
    const statement = (text: string): PgStatement => this.db.statement(text);
    this.statements = {
      load: statement(SELECT_CHECKPOINT),
      version: statement(SELECT_CHECKPOINT_VERSION),
      insert: statement(INSERT_FIRST_CHECKPOINT),
      update: statement(UPDATE_CHECKPOINT),
    };
  }

  /** Creates the schema and table now, instead of on first use. */
  async migrate(): Promise<void> {
    this.assertOpen();
    await this.db.ready();
  }

  async load(pipeline: string): Promise<Checkpoint | undefined> {
    this.assertOpen();
    assertStorableText(pipeline, 'pipeline name', { pipeline });
    await this.db.ready();
    const [row] = await this.db.query<CheckpointRow>(this.statements.load, [pipeline], { pipeline });
    return row === undefined ? undefined : toCheckpoint(pipeline, row);
  }

  /**
   * Commits in autocommit: one statement, one round trip. Should the
   * connection drop with the statement in flight, the store reads the row
   * back: its checksum says whether this very commit landed.
   */
  async commit(pipeline: string, checkpoint: CheckpointCommit): Promise<number> {
    const prepared = this.prepare(pipeline, checkpoint);
    await this.db.ready();
    return this.db.run((client) => this.commitOn(client, prepared), {
      details: { pipeline },
      ambiguous: async () => {
        const [row] = await this.db.query<CheckpointRow>(this.statements.load, [pipeline], { pipeline });
        const landed = row !== undefined && Number(row.version) === prepared.expected + 1 && Number(row.crc) === prepared.crc;
        return landed ? prepared.expected + 1 : undefined;
      },
    });
  }

  /**
   * `commit` on a connection inside the caller's open transaction (see
   * `withTransaction`): nothing is durable until that transaction commits,
   * and a `CHECKPOINT_CONFLICT` thrown here rolls back everything it wrote,
   * log appends included.
   */
  async commitIn(client: PoolClient, pipeline: string, checkpoint: CheckpointCommit): Promise<number> {
    const prepared = this.prepare(pipeline, checkpoint);
    await this.db.ready();
    try {
      return await this.commitOn(client, prepared);
    } catch (error) {
      throw this.db.translate(error, { pipeline });
    }
  }

  /**
   * Runs `work` in one transaction on a connection of this store's pool; see
   * {@link PgDatabase.transaction} for retries. Give the log and this store
   * the same `pool` to commit output records and a checkpoint together.
   */
  async withTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.db.ready();
    return this.db.transaction(work);
  }

  /** Ends the pool if this store opened it; a borrowed `pool` stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  private prepare(pipeline: string, checkpoint: CheckpointCommit): PreparedCommit {
    this.assertOpen();
    assertStorableText(pipeline, 'pipeline name', { pipeline });
    const expected = checkpoint.expectedVersion;
    if (!Number.isSafeInteger(expected) || expected < 0) {
      throw new MillraceError('CONFIG_INVALID', `expected version must be a whole number ≥ 0, not ${expected}`, { pipeline });
    }
    for (const [input, offset] of Object.entries(checkpoint.offsets)) {
      assertStorableText(input, 'input name', { pipeline });
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new MillraceError('CONFIG_INVALID', `offset of ${input} must be a whole number ≥ 0, not ${offset}`, { pipeline, input });
      }
    }
    const offsets = encodeJson(checkpoint.offsets);
    const committedAt = this.clock.now();
    const state = checkpoint.state;
    return { pipeline, expected, state, offsets, committedAt, crc: rowChecksum(pipeline, expected + 1, committedAt, checkpoint.offsets, state) };
  }

  /** The fenced write; on no match, reads the actual version to name it in the conflict. */
  private async commitOn(client: PoolClient, c: PreparedCommit): Promise<number> {
    const state = Buffer.from(c.state.buffer, c.state.byteOffset, c.state.byteLength);
    const written =
      c.expected === 0
        ? await client.query<{ version: string }>({ ...this.statements.insert, values: [c.pipeline, state, c.offsets, c.committedAt, c.crc] })
        : await client.query<{ version: string }>({ ...this.statements.update, values: [c.pipeline, c.expected, state, c.offsets, c.committedAt, c.crc] });
    const row = written.rows[0];
    if (row !== undefined) return Number(row.version);
    const current = (await client.query<{ version: string }>({ ...this.statements.version, values: [c.pipeline] })).rows[0];
    const actual = current === undefined ? 0 : Number(current.version);
    throw new MillraceError('CHECKPOINT_CONFLICT', `checkpoint of ${c.pipeline} is at version ${actual}, expected ${c.expected}`, {
      pipeline: c.pipeline,
      expected: c.expected,
      actual,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new MillraceError('CHECKPOINT_CLOSED', 'checkpoint store is closed');
  }
}

function toCheckpoint(pipeline: string, row: CheckpointRow): Checkpoint {
  const version = Number(row.version);
  const committedAt = Number(row.committed_at);
  const { state, offsets: offsetsText } = row;
  if (!(state instanceof Uint8Array) || typeof offsetsText !== 'string') throw corrupt(pipeline, version);
  let offsets: unknown;
  try {
    offsets = decodeJson(offsetsText);
  } catch (cause) {
    throw corrupt(pipeline, version, cause);
  }
  if (!isOffsets(offsets) || Number(row.crc) !== rowChecksum(pipeline, version, committedAt, offsets, state)) throw corrupt(pipeline, version);
  // A copy, not a view: node-postgres may hand out slices of a larger buffer.
  return { pipeline, state: new Uint8Array(state), offsets, version, committedAt };
}

function isOffsets(value: unknown): value is InputOffsets {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0);
}

function corrupt(pipeline: string, version: number, cause?: unknown): MillraceError {
  return new MillraceError('STORAGE_CORRUPT', `checkpoint of ${pipeline} (version ${version}) failed its checksum`, { pipeline, version }, { cause });
}

/**
 * The checksum over the whole row, with the offsets framed as their entries
 * sorted by input name: jsonb hands back its own key order and spacing.
 */
function rowChecksum(pipeline: string, version: number, committedAt: number, offsets: InputOffsets, state: Uint8Array): number {
  const canonical = JSON.stringify(Object.entries(offsets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return checkpointChecksum(pipeline, version, committedAt, canonical, state);
}
