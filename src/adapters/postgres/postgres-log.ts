/**
 * @module adapters/postgres/postgres-log
 * The cluster `Log`: topics, partitions and records in PostgreSQL. The
 * write path is in `postgres-log-append.ts`, the wake-ups in
 * `pg-notifications.ts`; this file holds the port, reads and tails.
 *
 * ```
 * append ─► BEGIN ─► [claim round-robin slots] ─► lock partitions, read next offsets
 *        ─► advance offsets + INSERT batch (unnest arrays, +crc) + pg_notify ─► COMMIT ─► notification sent
 *                                                                                          │
 * tail ◄── read from offset ◄── wake: NOTIFY on the listening connection ◄──────────────────┘
 *                                     or an append through this instance, or the poll timer
 * ```
 */
import type { Pool, PoolClient } from 'pg';
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { stableHash } from '../../core/ids.js';
import type { Log, LogRecord, NewRecord, ReadOptions, TailOptions, TopicInfo } from '../../ports/log.js';
import { verifyRecord } from '../common/log-record-checksum.js';
import { PgDatabase, type PgStatement, type PostgresOptions } from './pg-database.js';
import { assertStorableText } from './pg-errors.js';
import { PgNotifications } from './pg-notifications.js';
import { checkPartition, encodeRecords, writeRecords, type PendingRecord, type RecordPosition, type Topic } from './postgres-log-append.js';
import {
  ADVANCE_ROUND_ROBIN,
  INSERT_PARTITIONS,
  INSERT_TOPIC,
  LOCK_PARTITIONS,
  LOG_COMPONENT,
  LOG_MIGRATIONS,
  SELECT_END_OFFSETS,
  SELECT_RECORDS,
  SELECT_STORED_CRCS,
  SELECT_TOPIC,
  WRITE_RECORDS,
  type RecordRow,
  type TopicRow,
} from './postgres-log-sql.js';

/** Options for {@link PostgresLog}: connection settings plus timing. */
export type PostgresLogOptions = PostgresOptions & {
  /** Default record timestamps and the poll timer of `tail`. @defaultValue a `SystemClock` */
  clock?: Clock;
  /** How long a waiting `tail` trusts NOTIFY before reading anyway (the fallback should a notification be lost). @defaultValue 1000 */
  pollIntervalMs?: number;
};

const DEFAULT_LIMIT = 1000;

/**
 * PostgreSQL implementation of {@link Log}. Appends are durable on resolve;
 * every read verifies each record's CRC32 (`LOG_RECORD_CORRUPT`). Holds one
 * extra connection of its pool while any `tail` runs, for LISTEN.
 * Connections carry `application_name` `millrace-log` when the log opens its
 * own pool.
 *
 * @example
 * ```ts
 * const log = new PostgresLog({ connectionString: process.env.DATABASE_URL })
 * await log.createTopic('clicks', { partitions: 4 })
 * await log.append('clicks', [{ key: 'user-7', value: { page: '/' } }])
 * for await (const record of log.tail('clicks', 0, 0, { signal })) handle(record)
 * ```
 */
export class PostgresLog implements Log {
  /** The pool in use (the caller's, or the log's own); share it with `PostgresCheckpointStore` for joint commits. */
  readonly pool: Pool;
  private readonly db: PgDatabase;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly notifications: PgNotifications;
  /** Topic ids and partition counts never change once created, so they are looked up once. */
  private readonly topics = new Map<string, Topic>();
  private readonly statements;
  private closed = false;

  constructor(options: PostgresLogOptions = {}) {
    this.db = new PgDatabase(options, { name: LOG_COMPONENT, applicationName: 'millrace-log', migrations: LOG_MIGRATIONS });
    this.pool = this.db.pool;
    this.clock = options.clock ?? new SystemClock();
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    // One channel per schema: deployments sharing a database do not wake each other.
    this.notifications = new PgNotifications(this.pool, `millrace_log_${stableHash(this.db.schema)}`);
    const statement = (text: string): PgStatement => this.db.statement(text);
    this.statements = {
      insertTopic: statement(INSERT_TOPIC),
      insertPartitions: statement(INSERT_PARTITIONS),
      topic: statement(SELECT_TOPIC),
      endOffsets: statement(SELECT_END_OFFSETS),
      roundRobin: statement(ADVANCE_ROUND_ROBIN),
      lock: statement(LOCK_PARTITIONS),
      write: statement(WRITE_RECORDS),
      records: statement(SELECT_RECORDS),
      storedCrcs: statement(SELECT_STORED_CRCS),
    };
  }

  /** Creates the schema and tables now, instead of on first use. */
  async migrate(): Promise<void> {
    this.assertOpen();
    await this.db.ready();
  }

  async createTopic(topic: string, options: { partitions: number }): Promise<void> {
    this.assertOpen();
    const { partitions } = options;
    if (typeof topic !== 'string' || topic.length === 0) throw new MillraceError('CONFIG_INVALID', 'topic name must be a non-empty string', { topic });
    assertStorableText(topic, 'topic name', { topic });
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 2 ** 31 - 1) {
      throw new MillraceError('CONFIG_INVALID', `topic ${topic} needs a positive whole number of partitions, not ${partitions}`, { topic, partitions });
    }
    await this.db.ready();
    const existing = await this.db.run(
      async (client) => {
        const created = (await client.query<{ topic_id: number }>({ ...this.statements.insertTopic, values: [topic, partitions, this.clock.now()] })).rows[0];
        if (created !== undefined) await client.query({ ...this.statements.insertPartitions, values: [created.topic_id, partitions] });
        return (await client.query<TopicRow>({ ...this.statements.topic, values: [topic] })).rows[0]!;
      },
      // Creating is idempotent, so a lost COMMIT is settled by running it again.
      { details: { topic }, begin: 'BEGIN', ambiguous: 'retry' },
    );
    if (existing.partitions !== partitions) {
      throw new MillraceError('LOG_TOPIC_CONFLICT', `topic ${topic} exists with ${existing.partitions} partitions, not ${partitions}`, {
        topic,
        partitions: existing.partitions,
        requested: partitions,
      });
    }
    this.topics.set(topic, { id: existing.topic_id, partitions });
  }

  async topicInfo(topic: string): Promise<TopicInfo> {
    this.assertOpen();
    const { id, partitions } = await this.requireTopic(topic);
    const rows = await this.db.query<{ next_offset: string }>(this.statements.endOffsets, [id], { topic });
    return { topic, partitions, endOffsets: rows.map((row) => Number(row.next_offset)) };
  }

  async append(topic: string, records: readonly NewRecord[]): Promise<RecordPosition[]> {
    const pending = this.encode(topic, records);
    const found = await this.requireTopic(topic);
    let attemptPositions: RecordPosition[] = [];
    let attemptCrcs: number[] = [];
    const positions = await this.db.run(
      async (client) => {
        const written = await writeRecords(client, this.statements, this.notifications.channel, topic, found, pending);
        attemptPositions = written.positions;
        attemptCrcs = written.crcs;
        return written.positions;
      },
      { details: { topic }, begin: 'BEGIN', ambiguous: () => this.landed(topic, found, attemptPositions, attemptCrcs) },
    );
    for (const partition of new Set(positions.map((position) => position.partition))) this.notifications.wake(`${found.id}:${partition}`);
    return positions;
  }

  /**
   * `append` on a connection inside the caller's open transaction (see
   * `withTransaction`): the records, the offsets they take and their
   * notifications all commit or roll back with that transaction, so output
   * records and the checkpoint that covers them are written exactly once.
   */
  async appendIn(client: PoolClient, topic: string, records: readonly NewRecord[]): Promise<RecordPosition[]> {
    const pending = this.encode(topic, records);
    const found = await this.requireTopic(topic);
    try {
      return (await writeRecords(client, this.statements, this.notifications.channel, topic, found, pending)).positions;
    } catch (error) {
      throw this.db.translate(error, { topic });
    }
  }

  /**
   * Runs `work` in one transaction on a connection of this log's pool; see
   * `PgDatabase.transaction` for retries. Give this log and a
   * `PostgresCheckpointStore` the same `pool` to commit output records and a
   * checkpoint together.
   */
  async withTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.db.ready();
    return this.db.transaction(work);
  }

  async read(topic: string, partition: number, fromOffset: number, options: ReadOptions = {}): Promise<LogRecord[]> {
    const found = await this.requireTopic(topic);
    const rows = await this.readRows(topic, found, partition, fromOffset, options.limit);
    return rows.map((row) => decodeRecord(topic, partition, row));
  }

  /**
   * Ends quietly when `signal` aborts; throws `LOG_CLOSED` if the log is
   * closed under it. Records are verified one by one, so those before a
   * corrupt one are still delivered before the `LOG_RECORD_CORRUPT` error.
   */
  async *tail(topic: string, partition: number, fromOffset: number, options: TailOptions = {}): AsyncGenerator<LogRecord> {
    const { signal } = options;
    const found = await this.requireTopic(topic);
    checkPartition(topic, partition, found.partitions);
    const key = `${found.id}:${partition}`;
    let next = fromOffset;
    this.notifications.retain();
    try {
      while (!isAborted(signal)) {
        // Watch first, then make sure LISTEN is in force, then read: a
        // record committed after the read always wakes this tail.
        const watch = this.notifications.watch(key);
        try {
          await this.notifications.listening();
          const rows = await this.readRows(topic, found, partition, next, options.limit);
          for (const row of rows) {
            const record = decodeRecord(topic, partition, row);
            yield record;
            next = record.offset + 1;
            if (isAborted(signal)) return;
          }
          if (rows.length === 0) await watch.wait(this.clock, this.pollIntervalMs, signal);
        } finally {
          watch.close();
        }
      }
    } finally {
      this.notifications.release();
    }
  }

  /** Ends waiting tails and the listening connection, then the pool if this log opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifications.close();
    await this.db.close();
  }

  /** After a lost COMMIT: the append landed if every place it took holds its very record. */
  private async landed(topic: string, found: Topic, positions: RecordPosition[], crcs: number[]): Promise<RecordPosition[] | undefined> {
    if (positions.length === 0) return undefined;
    const rows = await this.db.query<{ partition_no: number; record_offset: string; crc: string }>(
      this.statements.storedCrcs,
      [found.id, positions.map((p) => p.partition), positions.map((p) => p.offset)],
      { topic },
    );
    const stored = new Map(rows.map((row) => [`${row.partition_no}:${row.record_offset}`, Number(row.crc)]));
    return positions.every((p, i) => stored.get(`${p.partition}:${p.offset}`) === crcs[i]) ? positions : undefined;
  }

  private encode(topic: string, records: readonly NewRecord[]): PendingRecord[] {
    this.assertOpen();
    return encodeRecords(topic, records, this.clock.now());
  }

  private async readRows(topic: string, found: Topic, partition: number, fromOffset: number, limit = DEFAULT_LIMIT): Promise<RecordRow[]> {
    this.assertOpen();
    checkPartition(topic, partition, found.partitions);
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new MillraceError('CONFIG_INVALID', `offset must be a whole number ≥ 0, not ${fromOffset}`, { topic, partition, offset: fromOffset });
    }
    if (!Number.isSafeInteger(limit) || limit < 1) throw new MillraceError('CONFIG_INVALID', `limit must be a whole number ≥ 1, not ${limit}`, { topic, limit });
    return this.db.query<RecordRow>(this.statements.records, [found.id, partition, fromOffset, limit], { topic, partition });
  }

  /** The topic's id and partition count, looked up once (they never change). */
  private async requireTopic(topic: string): Promise<Topic> {
    this.assertOpen();
    const cached = this.topics.get(topic);
    if (cached !== undefined) return cached;
    assertStorableText(topic, 'topic name', { topic });
    await this.db.ready();
    const [row] = await this.db.query<TopicRow>(this.statements.topic, [topic], { topic });
    if (row === undefined) throw new MillraceError('LOG_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic });
    const found = { id: row.topic_id, partitions: row.partitions };
    this.topics.set(topic, found);
    return found;
  }

  private assertOpen(): void {
    if (this.closed) throw new MillraceError('LOG_CLOSED', 'log is closed');
  }
}

/** A function, not an inline test, so the compiler does not assume `aborted` is unchanged across a `yield`. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Verifies before decoding: a damaged record is reported, never returned. */
function decodeRecord(topic: string, partition: number, row: RecordRow): LogRecord {
  const crc = typeof row.crc === 'string' ? Number(row.crc) : row.crc;
  return verifyRecord(topic, partition, { offset: Number(row.record_offset), key: row.record_key, timestamp: row.timestamp, value: row.value, crc });
}
