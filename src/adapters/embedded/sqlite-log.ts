/**
 * @module adapters/embedded/sqlite-log
 * The embedded `Log`: topics, partitions and records in SQLite.
 *
 * ```
 * append ──► IMMEDIATE tx: read next_offset ─► insert records (+crc) ─► bump next_offset ──► commit (fsync)
 *                                                                                            │
 * tail ◄── read from offset ◄── wake: in-process append ───────────────────────────────────────┘
 *                                   or poll timer (appends by another process on the same file)
 * ```
 */
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError, type ErrorDetails } from '../../core/errors.js';
import { hashKey } from '../../core/ids.js';
import { encodeJsonBytes } from '../../core/json-codec.js';
import type { Log, LogRecord, NewRecord, ReadOptions, TailOptions, TopicInfo } from '../../ports/log.js';
import { recordChecksum, verifyRecord } from '../common/log-record-checksum.js';
import type { SqliteDatabase } from './sqlite-database.js';
import {
  INSERT_PARTITION,
  INSERT_RECORD,
  INSERT_TOPIC,
  LOG_COMPONENT,
  LOG_MIGRATIONS,
  SELECT_END_OFFSETS,
  SELECT_NEXT_OFFSET,
  SELECT_RECORDS,
  SELECT_TOPIC,
  UPDATE_NEXT_OFFSET,
  UPDATE_ROUND_ROBIN,
  type RecordRow,
  type TopicRow,
} from './sqlite-log-sql.js';
import { attachSqlite, translateSqliteError, type SqliteSource } from './sqlite-source.js';

/** Options for {@link SqliteLog}: a `path` or a shared `database`, plus timing. */
export type SqliteLogOptions = SqliteSource & {
  /** Default record timestamps and the poll timer of `tail`. @defaultValue a `SystemClock` */
  clock?: Clock;
  /** How often a waiting `tail` looks for records appended by another process. @defaultValue 50 */
  pollIntervalMs?: number;
};

/** A position returned by `append`. */
export type RecordPosition = { partition: number; offset: number };

const DEFAULT_LIMIT = 1000;

/** A record encoded for insertion; encoding happens before the write lock is taken. */
interface PendingRecord {
  key: string | undefined;
  partition: number | undefined;
  timestamp: number;
  value: Uint8Array;
}

/**
 * SQLite implementation of {@link Log}. Appends are durable on resolve (WAL,
 * `synchronous = FULL`); every read verifies each record's CRC32.
 *
 * @example
 * ```ts
 * const log = new SqliteLog({ path: '.millrace/log.db' })
 * await log.createTopic('clicks', { partitions: 4 })
 * await log.append('clicks', [{ key: 'user-7', value: { page: '/' } }])
 * for await (const record of log.tail('clicks', 0, 0, { signal })) handle(record)
 * ```
 */
export class SqliteLog implements Log {
  /** The underlying handle, for callers who share it with other embedded adapters. */
  readonly database: SqliteDatabase;
  private readonly owned: boolean;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private closed = false;
  /** Waiting tails by `partition:topic`; woken by appends made through this instance. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly statements;
  private readonly createTransaction;
  private readonly appendTransaction;

  constructor(options: SqliteLogOptions) {
    const { db, owned } = attachSqlite(options, LOG_COMPONENT, LOG_MIGRATIONS);
    this.database = db;
    this.owned = owned;
    this.clock = options.clock ?? new SystemClock();
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.statements = {
      insertTopic: db.prepare<[string, number, number]>(INSERT_TOPIC),
      topic: db.prepare<[string], TopicRow>(SELECT_TOPIC),
      roundRobin: db.prepare<[number, number]>(UPDATE_ROUND_ROBIN),
      insertPartition: db.prepare<[number, number]>(INSERT_PARTITION),
      endOffsets: db.prepare<[number], { next_offset: number }>(SELECT_END_OFFSETS),
      nextOffset: db.prepare<[number, number], { next_offset: number }>(SELECT_NEXT_OFFSET),
      bumpOffset: db.prepare<[number, number, number]>(UPDATE_NEXT_OFFSET),
      insertRecord: db.prepare(INSERT_RECORD),
      records: db.prepare<[number, number, number, number], RecordRow>(SELECT_RECORDS),
    };
    this.createTransaction = db.transaction((topic: string, partitions: number) => this.createLocked(topic, partitions));
    this.appendTransaction = db.transaction((topic: string, records: PendingRecord[]) => this.appendLocked(topic, records));
  }

  async createTopic(topic: string, options: { partitions: number }): Promise<void> {
    this.assertOpen();
    const { partitions } = options;
    if (typeof topic !== 'string' || topic.length === 0) throw new MillraceError('CONFIG_INVALID', 'topic name must be a non-empty string', { topic });
    if (!Number.isSafeInteger(partitions) || partitions < 1) {
      throw new MillraceError('CONFIG_INVALID', `topic ${topic} needs a positive whole number of partitions, not ${partitions}`, { topic, partitions });
    }
    this.run(() => this.createTransaction.immediate(topic, partitions), { topic });
  }

  async topicInfo(topic: string): Promise<TopicInfo> {
    this.assertOpen();
    return this.run(() => {
      const row = this.requireTopic(topic);
      const endOffsets = this.statements.endOffsets.all(row.topic_id).map((partition) => partition.next_offset);
      return { topic, partitions: row.partitions, endOffsets };
    }, { topic });
  }

  async append(topic: string, records: readonly NewRecord[]): Promise<RecordPosition[]> {
    return this.appendSync(topic, records);
  }

  /**
   * `append`, synchronously. Called inside `database.transaction(...)` it
   * joins that transaction (as a savepoint), so a pipeline sharing the
   * database can commit output records and its checkpoint atomically (run
   * the outer transaction with `.immediate()`, so it takes the write lock
   * before reading). Waiting tails are woken at once but read only what was
   * committed: a rolled-back append delivers nothing.
   */
  appendSync(topic: string, records: readonly NewRecord[]): RecordPosition[] {
    this.assertOpen();
    const now = this.clock.now();
    const pending = records.map((record): PendingRecord => {
      const timestamp = record.timestamp ?? now;
      if (!Number.isFinite(timestamp)) throw new MillraceError('CONFIG_INVALID', `record timestamp must be a finite number, not ${timestamp}`, { topic });
      return { key: record.key, partition: record.partition, timestamp, value: encodeJsonBytes(record.value) };
    });
    const positions = this.run(() => this.appendTransaction.immediate(topic, pending), { topic });
    this.wake(topic, positions);
    return positions;
  }

  async read(topic: string, partition: number, fromOffset: number, options: ReadOptions = {}): Promise<LogRecord[]> {
    return this.readRows(topic, partition, fromOffset, options.limit).map((row) => decodeRecord(topic, partition, row));
  }

  /**
   * Ends quietly when `signal` aborts; throws `LOG_CLOSED` if the log is
   * closed under it. Records are verified one by one, so those before a
   * corrupt one are still delivered before the `LOG_RECORD_CORRUPT` error.
   */
  async *tail(topic: string, partition: number, fromOffset: number, options: TailOptions = {}): AsyncGenerator<LogRecord> {
    const { signal } = options;
    let next = fromOffset;
    while (!isAborted(signal)) {
      const rows = this.readRows(topic, partition, next, options.limit);
      for (const row of rows) {
        const record = decodeRecord(topic, partition, row);
        yield record;
        next = record.offset + 1;
        if (isAborted(signal)) return;
      }
      // Registering the waiter right after an empty read, with no await in
      // between, means no in-process append can slip past unnoticed.
      if (rows.length === 0) await this.waitForAppend(topic, partition, signal);
    }
  }

  /** Ends waiting tails, then closes the database if this log opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const waiters of [...this.waiters.values()]) for (const wake of [...waiters]) wake();
    if (this.owned) this.database.close();
  }

  /** Runs inside the write lock. */
  private createLocked(topic: string, partitions: number): void {
    const inserted = this.statements.insertTopic.run(topic, partitions, this.clock.now()).changes > 0;
    const row = this.statements.topic.get(topic)!;
    if (row.partitions !== partitions) {
      throw new MillraceError('LOG_TOPIC_CONFLICT', `topic ${topic} exists with ${row.partitions} partitions, not ${partitions}`, {
        topic,
        partitions: row.partitions,
        requested: partitions,
      });
    }
    if (inserted) for (let partition = 0; partition < partitions; partition++) this.statements.insertPartition.run(row.topic_id, partition);
  }

  /** Runs inside the write lock: offsets come from `next_offset`, so they are gap-free and in input order. */
  private appendLocked(topic: string, records: PendingRecord[]): RecordPosition[] {
    const row = this.requireTopic(topic);
    let roundRobin = row.round_robin;
    const nextOffsets = new Map<number, number>();
    const positions = records.map((record) => {
      const partition = record.partition ?? (record.key === undefined ? roundRobin++ % row.partitions : hashKey(record.key) % row.partitions);
      checkPartition(topic, partition, row.partitions);
      const offset = nextOffsets.get(partition) ?? this.statements.nextOffset.get(row.topic_id, partition)!.next_offset;
      nextOffsets.set(partition, offset + 1);
      const crc = recordChecksum(topic, partition, offset, record.key, record.timestamp, record.value);
      this.statements.insertRecord.run(row.topic_id, partition, offset, record.key ?? null, record.timestamp, record.value, crc);
      return { partition, offset };
    });
    for (const [partition, next] of nextOffsets) this.statements.bumpOffset.run(next, row.topic_id, partition);
    if (roundRobin !== row.round_robin) this.statements.roundRobin.run(roundRobin % row.partitions, row.topic_id);
    return positions;
  }

  private readRows(topic: string, partition: number, fromOffset: number, limit = DEFAULT_LIMIT): RecordRow[] {
    this.assertOpen();
    if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
      throw new MillraceError('CONFIG_INVALID', `offset must be a whole number ≥ 0, not ${fromOffset}`, { topic, partition, offset: fromOffset });
    }
    if (!Number.isSafeInteger(limit) || limit < 1) throw new MillraceError('CONFIG_INVALID', `limit must be a whole number ≥ 1, not ${limit}`, { topic, limit });
    return this.run(() => {
      const row = this.requireTopic(topic);
      checkPartition(topic, partition, row.partitions);
      return this.statements.records.all(row.topic_id, partition, fromOffset, limit);
    }, { topic, partition });
  }

  /** Resolves on the first of: an append here, the poll interval, an abort, `close`. Leaves nothing registered. */
  private waitForAppend(topic: string, partition: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const key = `${partition}:${topic}`;
      const waiters = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, waiters);
      const wake = (): void => {
        timer.cancel();
        signal?.removeEventListener('abort', wake);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
        resolve();
      };
      waiters.add(wake);
      // Clocks never fire a timer synchronously, so `wake` cannot run before `timer` is set.
      const timer = this.clock.setTimer(wake, this.pollIntervalMs);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private wake(topic: string, positions: readonly RecordPosition[]): void {
    for (const partition of new Set(positions.map((position) => position.partition))) {
      const waiters = this.waiters.get(`${partition}:${topic}`);
      if (waiters !== undefined) for (const wake of [...waiters]) wake();
    }
  }

  private requireTopic(topic: string): TopicRow {
    const row = this.statements.topic.get(topic);
    if (row === undefined) throw new MillraceError('LOG_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, { topic });
    return row;
  }

  private run<T>(operation: () => T, details: ErrorDetails): T {
    try {
      return operation();
    } catch (error) {
      throw translateSqliteError(error, details);
    }
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
  return verifyRecord(topic, partition, { offset: row.record_offset, key: row.record_key, timestamp: row.timestamp, value: row.value, crc: row.crc });
}

function checkPartition(topic: string, partition: number, partitions: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new MillraceError('LOG_PARTITION_INVALID', `topic ${topic} has partitions 0..${partitions - 1}, not ${partition}`, { topic, partition, partitions });
  }
}
