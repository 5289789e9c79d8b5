/**
 * @module adapters/postgres/postgres-event-store-sql
 * Schema and statements of `PostgresEventStore`. `{schema}` is replaced by
 * the deployment's quoted schema name; values are always bound parameters.
 */
import { ADVISORY_LOCK_CLASS, type PgMigration } from './pg-schema.js';

/** Component name under which the event store's migrations are tracked. */
export const EVENT_STORE_COMPONENT = 'event-store';

/**
 * One row per event. `position` comes from an identity sequence, which on
 * its own is NOT commit-ordered (see `LOCK_APPENDS`). `data` and `metadata`
 * are the JSON text exactly as encoded, not `jsonb`: jsonb would reorder
 * keys and refuse `\u0000` in strings, which JSON allows; cast to jsonb in
 * ad-hoc queries. The two constraints are named so that a unique violation
 * can be told apart (see `PostgresEventStore`).
 */
const CREATE_EVENTS = `
  CREATE TABLE {schema}.events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text NOT NULL,
    stream_id text NOT NULL,
    version bigint NOT NULL CHECK (version > 0),
    type text NOT NULL,
    data text NOT NULL,
    metadata text NOT NULL,
    recorded_at bigint NOT NULL,
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
  )`;

/** The event store's numbered migrations. */
export const EVENT_STORE_MIGRATIONS: readonly PgMigration[] = [{ version: 1, name: '0001_events', statements: [CREATE_EVENTS] }];

/** Constraint behind optimistic concurrency; a violation is a version conflict. */
export const STREAM_VERSION_CONSTRAINT = 'events_stream_version_key';
/** Constraint making event ids unique across streams. */
export const EVENT_ID_CONSTRAINT = 'events_event_id_key';

/**
 * Opens an append transaction holding the schema's event-append lock until
 * COMMIT. Sequence values are handed out in call order, not commit order:
 * without the lock, an append that drew position 7 could commit after one
 * that drew 8, and a `readAll` paging past 8 would never see 7. Holding a
 * transaction-level advisory lock from before `nextval` until after the
 * commit is visible (PostgreSQL releases it after the commit becomes
 * visible) makes appends commit one at a time in position order, so every
 * snapshot sees a prefix of the positions. The key is the events table's
 * oid: one lock per deployment schema, no contention between schemas. Sent
 * as one simple-protocol round trip with BEGIN.
 */
export const BEGIN_APPEND = `BEGIN; SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_CLASS}, '{schema}.events'::regclass::oid::int4)`;

/** The newest event of a stream: its version is the stream's version. One backward step of the (stream_id, version) index. */
export const SELECT_STREAM_HEAD = 'SELECT version, position FROM {schema}.events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1';

/** Where the given event ids are stored, to recognise a retried append. */
export const SELECT_EVENT_PLACES = 'SELECT event_id, stream_id, version, position FROM {schema}.events WHERE event_id = ANY($1::text[])';

/**
 * The version check and the whole batch in one round trip: the insert
 * happens only if the stream's head is the expected version ($2; NULL for
 * `'any'`), and the head is returned either way, to name it in a conflict.
 * The head is read after the append lock was taken (a previous statement),
 * so it reflects every earlier append. Rows are inserted in input order, so
 * the identity, evaluated per row as it is inserted, rises with the version.
 * $1 stream, $3 recorded_at, $4-$7 per-event arrays.
 */
export const APPEND_EVENTS = `
  WITH head AS (
    SELECT coalesce(max(version), 0) AS version FROM {schema}.events WHERE stream_id = $1
  ), inserted AS (
    INSERT INTO {schema}.events (event_id, stream_id, version, type, data, metadata, recorded_at)
    SELECT e.event_id, $1, head.version + e.n, e.type, e.data, e.metadata, $3
    FROM head, unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS e(event_id, type, data, metadata, n)
    WHERE $2::bigint IS NULL OR head.version = $2::bigint
    ORDER BY e.n
    RETURNING position
  )
  SELECT head.version AS head_version, (SELECT max(position) FROM inserted) AS position FROM head`;

const EVENT_COLUMNS = 'event_id, stream_id, version, position, type, data, metadata, recorded_at';

/** One stream from a version, in version order. `LIMIT NULL` means no limit. */
export const SELECT_STREAM_EVENTS = `
  SELECT ${EVENT_COLUMNS} FROM {schema}.events
  WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT $3`;

/** All streams in commit order after a position. */
export const SELECT_ALL_EVENTS = `
  SELECT ${EVENT_COLUMNS} FROM {schema}.events
  WHERE position > $1 ORDER BY position LIMIT $2`;

/** A row of `events` as read; node-postgres returns `bigint` columns as strings. */
export interface EventRow {
  event_id: string;
  stream_id: string;
  version: string;
  position: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}
