/**
 * @module adapters/postgres/postgres-log-sql
 * Schema and statements of `PostgresLog`. `{schema}` is replaced by the
 * deployment's quoted schema name; values are always bound parameters, and
 * a batch travels as arrays (one parameter per column) expanded by `unnest`.
 */
import type { PgMigration } from './pg-schema.js';

/** Component name under which the log's migrations are tracked. */
export const LOG_COMPONENT = 'log';

/**
 * - `log_topics.round_robin` counts keyless records ever appended; the next
 *   one goes to `round_robin % partitions`. In the database so that many
 *   short-lived processes still spread their records.
 * - `log_partitions.next_offset` is the offset the next record gets. An
 *   append locks the rows of the partitions it writes, reads them, and
 *   advances them in its own transaction: offsets are gap-free (a rolled
 *   back append gives its offsets back) and appends to different
 *   partitions never wait for each other.
 * - `log_records` is keyed by (topic, partition, offset), so a replay is one
 *   range scan of the primary key. `value` is the JSON as UTF-8 bytes, exactly
 *   as appended; `timestamp` is float8 so any finite epoch-ms round-trips;
 *   `crc` covers the whole record (see `recordChecksum`), and is bigint
 *   because a CRC32 does not fit a signed int4.
 */
const CREATE_TOPICS = `
  CREATE TABLE {schema}.log_topics (
    topic_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    partitions integer NOT NULL CHECK (partitions > 0),
    round_robin bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL
  )`;
const CREATE_PARTITIONS = `
  CREATE TABLE {schema}.log_partitions (
    topic_id integer NOT NULL REFERENCES {schema}.log_topics (topic_id),
    partition_no integer NOT NULL,
    next_offset bigint NOT NULL,
    PRIMARY KEY (topic_id, partition_no)
  )`;
const CREATE_RECORDS = `
  CREATE TABLE {schema}.log_records (
    topic_id integer NOT NULL,
    partition_no integer NOT NULL,
    record_offset bigint NOT NULL,
    record_key text,
    timestamp float8 NOT NULL,
    value bytea NOT NULL,
    crc bigint NOT NULL,
    PRIMARY KEY (topic_id, partition_no, record_offset)
  )`;

/** The log's numbered migrations. */
export const LOG_MIGRATIONS: readonly PgMigration[] = [
  { version: 1, name: '0001_topics_partitions_records', statements: [CREATE_TOPICS, CREATE_PARTITIONS, CREATE_RECORDS] },
];

/** Creates a topic unless it exists; returns its id only if this call created it. */
export const INSERT_TOPIC = `
  INSERT INTO {schema}.log_topics (name, partitions, created_at) VALUES ($1, $2, $3)
  ON CONFLICT (name) DO NOTHING
  RETURNING topic_id`;

/** The partitions of a new topic, all at offset 0. $1 topic id, $2 partition count. */
export const INSERT_PARTITIONS = `
  INSERT INTO {schema}.log_partitions (topic_id, partition_no, next_offset)
  SELECT $1, p, 0 FROM generate_series(0, $2::int - 1) AS p`;

/** A topic's id and partition count (both fixed once created, so callers may cache them). */
export const SELECT_TOPIC = 'SELECT topic_id, partitions FROM {schema}.log_topics WHERE name = $1';

/** Every partition's next offset, in partition order (`TopicInfo.endOffsets`). */
export const SELECT_END_OFFSETS = 'SELECT next_offset FROM {schema}.log_partitions WHERE topic_id = $1 ORDER BY partition_no';

/** Claims `$2` round-robin slots; returns the first. Holds the topic row until COMMIT. */
export const ADVANCE_ROUND_ROBIN = `
  UPDATE {schema}.log_topics SET round_robin = round_robin + $2
  WHERE topic_id = $1
  RETURNING round_robin - $2 AS first_slot`;

/**
 * Locks the partitions an append writes and reads their next offsets.
 * Locking in partition order (rows are locked as the sorted result is
 * produced) means two appends spanning the same partitions cannot deadlock.
 */
export const LOCK_PARTITIONS = `
  SELECT partition_no, next_offset FROM {schema}.log_partitions
  WHERE topic_id = $1 AND partition_no = ANY($2::int[])
  ORDER BY partition_no
  FOR NO KEY UPDATE`;

/**
 * The rest of an append in one round trip: advance the locked partitions,
 * insert the batch, and queue one notification per partition written (sent
 * by the server at COMMIT, and dropped with a rollback). Data-modifying CTEs
 * run to completion whether or not the main query reads them.
 * $1 topic id, $2/$3 partitions and their new next offsets, $4-$9 per-record
 * arrays, $10 the notification channel.
 */
export const WRITE_RECORDS = `
  WITH advanced AS (
    UPDATE {schema}.log_partitions AS p SET next_offset = a.next_offset
    FROM unnest($2::int[], $3::bigint[]) AS a(partition_no, next_offset)
    WHERE p.topic_id = $1 AND p.partition_no = a.partition_no
  ), inserted AS (
    INSERT INTO {schema}.log_records (topic_id, partition_no, record_offset, record_key, timestamp, value, crc)
    SELECT $1, r.partition_no, r.record_offset, r.record_key, r.timestamp, r.value, r.crc
    FROM unnest($4::int[], $5::bigint[], $6::text[], $7::float8[], $8::bytea[], $9::bigint[])
      AS r(partition_no, record_offset, record_key, timestamp, value, crc)
  )
  SELECT pg_notify($10, $1::text || ':' || a.partition_no) FROM unnest($2::int[]) AS a(partition_no)`;

/** A partition from an offset: one range scan of the primary key. */
export const SELECT_RECORDS = `
  SELECT record_offset, record_key, timestamp, value, crc FROM {schema}.log_records
  WHERE topic_id = $1 AND partition_no = $2 AND record_offset >= $3
  ORDER BY record_offset LIMIT $4`;

/** The checksums stored at given places, to learn whether an append whose COMMIT was lost landed. */
export const SELECT_STORED_CRCS = `
  SELECT r.partition_no, r.record_offset, r.crc FROM {schema}.log_records AS r
  JOIN unnest($2::int[], $3::bigint[]) AS w(partition_no, record_offset)
    ON r.partition_no = w.partition_no AND r.record_offset = w.record_offset
  WHERE r.topic_id = $1`;

/** A row of `log_topics` as read. */
export interface TopicRow {
  topic_id: number;
  partitions: number;
}

/**
 * A row of `log_records` as read (`bigint` columns arrive as strings);
 * `unknown` where a hand edit could put anything: the checksum sorts it out.
 */
export interface RecordRow {
  record_offset: string;
  record_key: unknown;
  timestamp: unknown;
  value: unknown;
  crc: unknown;
}
