/**
 * @module adapters/embedded/sqlite-event-store
 * The embedded `EventStore`: one SQLite table of events, unique on
 * (stream, version), with the global position as its rowid. The expected
 * version is checked and the batch inserted inside the write lock (a
 * savepoint in a group commit's IMMEDIATE transaction): two processes racing
 * on one stream serialise, and the loser sees the winner's version.
 *
 * Appends go through a {@link GroupCommit}: appends to many streams in one
 * event-loop turn (many processes advancing at once) cost one fsync.
 */
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { AppendResult, EventStore, ExpectedVersion, NewEvent, StoredEvent } from '../../ports/event-store.js';
import { GroupCommit } from './group-commit.js';
import type { SqliteDatabase } from './sqlite-database.js';
import {
  EVENT_STORE_COMPONENT,
  EVENT_STORE_MIGRATIONS,
  INSERT_EVENT,
  SELECT_ALL_EVENTS,
  SELECT_EVENT_PLACE,
  SELECT_STREAM_EVENTS,
  SELECT_STREAM_HEAD,
  type EventRow,
} from './sqlite-event-store-sql.js';
import { attachSqlite, translateSqliteError, type SqliteSource } from './sqlite-source.js';
import { encodeBatch, expectedNumber, versionMatches, versionConflict, staleVersion, toStoredEvent, type EncodedEvent } from '../common/event-store-rules.js';

/** Options for {@link SqliteEventStore}: a `path` or a shared `database`, plus a clock. */
export type SqliteEventStoreOptions = SqliteSource & {
  /** Source of `recordedAt`. @defaultValue a `SystemClock` */
  clock?: Clock;
};

interface StreamHead {
  version: number;
  position: number;
}

interface EventPlace {
  stream_id: string;
  version: number;
  position: number;
}

/**
 * SQLite implementation of {@link EventStore}. Durable on resolve: the
 * database runs in WAL mode with `synchronous = FULL`.
 *
 * @example
 * ```ts
 * const store = new SqliteEventStore({ path: '.millrace/events.db' })
 * await store.append('process-42', [{ type: 'ProcessStarted', data: { definition: 'etl' } }], 'no-stream')
 * const history = await store.read('process-42')
 * await store.close()
 * ```
 */
export class SqliteEventStore implements EventStore {
  /** The underlying handle, for callers who share it with other embedded adapters. */
  readonly database: SqliteDatabase;
  private readonly owned: boolean;
  private readonly clock: Clock;
  private closed = false;
  private readonly statements;
  private readonly commits: GroupCommit;
  private readonly appendAtomic;

  constructor(options: SqliteEventStoreOptions) {
    const { db, owned } = attachSqlite(options, EVENT_STORE_COMPONENT, EVENT_STORE_MIGRATIONS);
    this.database = db;
    this.owned = owned;
    this.clock = options.clock ?? new SystemClock();
    this.statements = {
      head: db.prepare<[string], StreamHead>(SELECT_STREAM_HEAD),
      place: db.prepare<[string], EventPlace>(SELECT_EVENT_PLACE),
      insert: db.prepare(INSERT_EVENT),
      stream: db.prepare<[string, number, number], EventRow>(SELECT_STREAM_EVENTS),
      all: db.prepare<[number, number], EventRow>(SELECT_ALL_EVENTS),
    };
    this.commits = new GroupCommit(db, this.clock, `event store ${db.name}`);
    this.appendAtomic = this.commits.atomic(
      (streamId: string, events: EncodedEvent[], expected: ExpectedVersion, callerIds: boolean): AppendResult =>
        this.appendLocked(streamId, events, expected, callerIds),
    );
  }

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    this.assertOpen();
    const pending = encodeBatch(streamId, events, expectedVersion);
    // Random ids cannot already be stored, so only caller-chosen ids pay for the idempotency lookup.
    const callerIds = events.some((event) => event.id !== undefined);
    return this.commits.submit(() => {
      try {
        return this.appendAtomic(streamId, pending, expectedVersion, callerIds);
      } catch (error) {
        // An id already stored: a retry of an append that did commit (its original result), or a clash (its error).
        if (callerIds && isUniqueViolation(error)) {
          const original = this.findOriginalAppend(streamId, pending, expectedVersion);
          if (original !== undefined) return original;
        }
        throw this.translate(error, streamId, expectedVersion);
      }
    });
  }

  async read(streamId: string, options: { fromVersion?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const rows = this.query(() => this.statements.stream.all(streamId, options.fromVersion ?? 1, sqlLimit(options.limit)));
    return rows.map(toStoredEvent);
  }

  async readAll(options: { afterPosition?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const rows = this.query(() => this.statements.all.all(options.afterPosition ?? 0, sqlLimit(options.limit)));
    return rows.map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    this.assertOpen();
    return this.query(() => this.statements.head.get(streamId))?.version ?? 0;
  }

  /** Closes the database if this store opened it; a shared `database` stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commits.close();
    if (this.owned) this.database.close();
  }

  /**
   * Runs inside the write lock. Caller-chosen ids are looked up only when
   * they could be a retry: when the stream moved past `expected` (the
   * original append may be what moved it), or when an insert meets an id
   * already stored (see `append`). A first append, the common case, pays
   * no lookup per event.
   */
  private appendLocked(streamId: string, events: EncodedEvent[], expected: ExpectedVersion, callerIds: boolean): AppendResult {
    const head = this.statements.head.get(streamId);
    const actual = head?.version ?? 0;
    if (!versionMatches(expected, actual)) {
      const original = callerIds ? this.findOriginalAppend(streamId, events, expected) : undefined;
      if (original !== undefined) return original;
      throw staleVersion(streamId, expected, actual);
    }
    if (events.length === 0) return { version: actual, position: head?.position ?? 0 };
    const recordedAt = this.clock.now();
    let position = 0;
    events.forEach((event, index) => {
      const row = this.statements.insert.run(event.id, streamId, actual + index + 1, event.type, event.data, event.metadata, recordedAt);
      position = Number(row.lastInsertRowid);
    });
    return { version: actual + events.length, position };
  }

  /**
   * A retried append (after a timeout, say) finds its ids already stored at
   * consecutive versions from `expected + 1`: it gets the original result.
   * Ids stored anywhere else mean the batch is not a retry but a clash.
   */
  private findOriginalAppend(streamId: string, events: EncodedEvent[], expected: ExpectedVersion): AppendResult | undefined {
    const places = events.map((event) => this.statements.place.get(event.id));
    const clash = places.findIndex((place) => place !== undefined);
    if (clash === -1) return undefined;
    const first = places[0];
    const last = places[places.length - 1];
    const sameBatch =
      first !== undefined &&
      last !== undefined &&
      places.every((place, index) => place?.stream_id === streamId && place.version === first.version + index) &&
      (expected === 'any' || first.version === expectedNumber(expected) + 1);
    if (sameBatch) return { version: last.version, position: last.position };
    const place = places[clash]!;
    const id = events[clash]!.id;
    throw versionConflict(`event id ${id} is already stored as ${place.stream_id}@${place.version}`, streamId, expected, undefined, id);
  }

  private query<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw translateSqliteError(error, {});
    }
  }

  private translate(error: unknown, streamId: string, expected: ExpectedVersion): unknown {
    // The unique (stream_id, version) index is the last line of defence should
    // a writer ever bypass the IMMEDIATE transaction; it means the same thing.
    if (isUniqueViolation(error)) {
      return versionConflict(`concurrent append to stream ${streamId}`, streamId, expected, undefined);
    }
    return translateSqliteError(error, { streamId });
  }

  private assertOpen(): void {
    if (this.closed) throw new MillraceError('EVENT_STORE_CLOSED', 'event store is closed');
  }
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** No limit unless asked; SQLite reads a negative LIMIT as "no limit", so a caller's negative becomes 0. */
function sqlLimit(limit: number | undefined): number {
  return limit === undefined ? -1 : Math.max(0, Math.floor(limit));
}
