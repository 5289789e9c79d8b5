/**
 * @module adapters/postgres/postgres-event-store
 * The cluster `EventStore`: one PostgreSQL table of events, unique on
 * (stream, version), global position from an identity column made
 * commit-ordered by a per-schema append lock (see `BEGIN_APPEND`).
 *
 * ```
 * append ─► BEGIN + advisory xact lock ─► ids already stored? ─► head version = expected? ─► INSERT batch ─► COMMIT (lock released)
 * ```
 *
 * The version check runs after the lock is taken, in a statement whose
 * snapshot is newer than every earlier append's commit, so two writers
 * racing on one stream serialise and the loser sees the winner's version.
 */
import type { Pool, PoolClient } from 'pg';
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { AppendResult, EventStore, ExpectedVersion, NewEvent, StoredEvent } from '../../ports/event-store.js';
import { PgDatabase, type PgStatement, type PostgresOptions } from './pg-database.js';
import { assertStorableText } from './pg-errors.js';
import {
  APPEND_EVENTS,
  BEGIN_APPEND,
  EVENT_ID_CONSTRAINT,
  EVENT_STORE_COMPONENT,
  EVENT_STORE_MIGRATIONS,
  SELECT_ALL_EVENTS,
  SELECT_EVENT_PLACES,
  SELECT_STREAM_EVENTS,
  SELECT_STREAM_HEAD,
  STREAM_VERSION_CONSTRAINT,
  type EventRow,
} from './postgres-event-store-sql.js';
import { encodeBatch, expectedNumber, versionMatches, versionConflict, staleVersion, toStoredEvent, type EncodedEvent } from '../common/event-store-rules.js';

/** Options for {@link PostgresEventStore}: connection settings plus a clock. */
export type PostgresEventStoreOptions = PostgresOptions & {
  /** Source of `recordedAt`. @defaultValue a `SystemClock` */
  clock?: Clock;
};

interface EventPlace {
  event_id: string;
  stream_id: string;
  version: string;
  position: string;
}

/**
 * PostgreSQL implementation of {@link EventStore}. Durable on resolve (the
 * append's COMMIT has returned). Connections carry `application_name`
 * `millrace-event-store` when the store opens its own pool.
 *
 * @example
 * ```ts
 * const store = new PostgresEventStore({ connectionString: process.env.DATABASE_URL, schema: 'orders_prod' })
 * await store.append('process-42', [{ type: 'ProcessStarted', data: { definition: 'etl' } }], 'no-stream')
 * const history = await store.read('process-42')
 * await store.close()
 * ```
 */
export class PostgresEventStore implements EventStore {
  /** The pool in use (the caller's, or the store's own). */
  readonly pool: Pool;
  private readonly db: PgDatabase;
  private readonly clock: Clock;
  private readonly statements;
  private closed = false;

  constructor(options: PostgresEventStoreOptions = {}) {
    this.db = new PgDatabase(options, { name: EVENT_STORE_COMPONENT, applicationName: 'millrace-event-store', migrations: EVENT_STORE_MIGRATIONS });
    this.pool = this.db.pool;
    this.clock = options.clock ?? new SystemClock();
    const statement = (text: string): PgStatement => this.db.statement(text);
    this.statements = {
      begin: this.db.sql(BEGIN_APPEND),
      head: statement(SELECT_STREAM_HEAD),
      places: statement(SELECT_EVENT_PLACES),
      append: statement(APPEND_EVENTS),
      stream: statement(SELECT_STREAM_EVENTS),
      all: statement(SELECT_ALL_EVENTS),
    };
  }

  /** Creates the schema and tables now, instead of on first use. */
  async migrate(): Promise<void> {
    this.assertOpen();
    await this.db.ready();
  }

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    this.assertOpen();
    assertStorableText(streamId, 'stream id', { streamId });
    const pending = encodeBatch(streamId, events, expectedVersion);
    for (const event of pending) {
      assertStorableText(event.id, 'event id', { streamId });
      assertStorableText(event.type, 'event type', { streamId });
    }
    // Random ids cannot already be stored, so only caller-chosen ids pay for
    // the idempotency lookup, and any retry after an attempt whose COMMIT may
    // have landed: the lookup then recognises that commit and returns it.
    const callerIds = events.some((event) => event.id !== undefined);
    await this.db.ready();
    return this.db.run((client, attempt) => this.appendLocked(client, streamId, pending, expectedVersion, callerIds || attempt > 1), {
      details: { streamId },
      begin: this.statements.begin,
      ambiguous: 'retry',
      uniqueViolation: (constraint) => {
        // The lock makes these unreachable for writers that take it; they
        // remain the last line of defence against one that does not.
        if (constraint === STREAM_VERSION_CONSTRAINT) return versionConflict(`concurrent append to stream ${streamId}`, streamId, expectedVersion, undefined);
        if (constraint === EVENT_ID_CONSTRAINT) return versionConflict(`an event id of this batch is already stored`, streamId, expectedVersion, undefined);
        return undefined;
      },
    });
  }

  async read(streamId: string, options: { fromVersion?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    assertStorableText(streamId, 'stream id', { streamId });
    await this.db.ready();
    const rows = await this.db.query<EventRow>(this.statements.stream, [streamId, options.fromVersion ?? 1, sqlLimit(options.limit)], { streamId });
    return rows.map(toStoredEvent);
  }

  async readAll(options: { afterPosition?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    await this.db.ready();
    const rows = await this.db.query<EventRow>(this.statements.all, [options.afterPosition ?? 0, sqlLimit(options.limit)], {});
    return rows.map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    this.assertOpen();
    assertStorableText(streamId, 'stream id', { streamId });
    await this.db.ready();
    const [head] = await this.db.query<{ version: string }>(this.statements.head, [streamId], { streamId });
    return head === undefined ? 0 : Number(head.version);
  }

  /** Ends the pool if this store opened it; a borrowed `pool` stays open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }

  /** Runs inside the append transaction, holding the append lock. */
  private async appendLocked(client: PoolClient, streamId: string, events: EncodedEvent[], expected: ExpectedVersion, lookupIds: boolean): Promise<AppendResult> {
    if (lookupIds && events.length > 0) {
      const original = await this.findOriginalAppend(client, streamId, events, expected);
      if (original !== undefined) return original;
    }
    if (events.length === 0) {
      const head = (await client.query<{ version: string; position: string }>({ ...this.statements.head, values: [streamId] })).rows[0];
      const actual = head === undefined ? 0 : Number(head.version);
      if (!versionMatches(expected, actual)) throw staleVersion(streamId, expected, actual);
      return { version: actual, position: head === undefined ? 0 : Number(head.position) };
    }
    const values = [
      streamId,
      expected === 'any' ? null : expectedNumber(expected),
      this.clock.now(),
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => event.data),
      events.map((event) => event.metadata),
    ];
    const row = (await client.query<{ head_version: string; position: string | null }>({ ...this.statements.append, values })).rows[0]!;
    const actual = Number(row.head_version);
    if (row.position === null) throw staleVersion(streamId, expected, actual);
    return { version: actual + events.length, position: Number(row.position) };
  }

  /**
   * A retried append finds its ids already stored at consecutive versions
   * from `expected + 1`: it gets the original result. Ids stored anywhere
   * else mean the batch is not a retry but a clash.
   */
  private async findOriginalAppend(client: PoolClient, streamId: string, events: EncodedEvent[], expected: ExpectedVersion): Promise<AppendResult | undefined> {
    const found = await client.query<EventPlace>({ ...this.statements.places, values: [events.map((event) => event.id)] });
    if (found.rows.length === 0) return undefined;
    const byId = new Map(found.rows.map((row) => [row.event_id, { streamId: row.stream_id, version: Number(row.version), position: Number(row.position) }]));
    const places = events.map((event) => byId.get(event.id));
    const first = places[0];
    const last = places[places.length - 1];
    const sameBatch =
      first !== undefined &&
      last !== undefined &&
      places.every((place, index) => place?.streamId === streamId && place.version === first.version + index) &&
      (expected === 'any' || first.version === expectedNumber(expected) + 1);
    if (sameBatch) return { version: last.version, position: last.position };
    const clash = places.findIndex((place) => place !== undefined);
    const place = places[clash]!;
    const id = events[clash]!.id;
    throw versionConflict(`event id ${id} is already stored as ${place.streamId}@${place.version}`, streamId, expected, undefined, id);
  }

  private assertOpen(): void {
    if (this.closed) throw new MillraceError('EVENT_STORE_CLOSED', 'event store is closed');
  }
}

/** `null` (no limit) unless asked; a caller's negative becomes 0, as in the SQLite store. */
function sqlLimit(limit: number | undefined): number | null {
  return limit === undefined ? null : Math.max(0, Math.floor(limit));
}
