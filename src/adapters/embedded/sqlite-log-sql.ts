/**
 * @module adapters/embedded/sqlite-log-sql
 * Schema and statements of `SqliteLog`. Values are always bound
 * parameters; nothing here is built by concatenation.
 */
import type { Migration } from './sqlite-database.js';

/** Component name under which the log's migrations are tracked. */
export const LOG_COMPONENT = 'log';

/**
 * - `topics.round_robin` is where the next keyless record goes; kept in the
 *   database so that many short-lived processes still spread their records.
 * - `partitions.next_offset` is the offset the next record gets. Appends read
 *   and bump it inside their write transaction, which is what makes offsets
 *   gap-free; it also survives a future truncation of old records.
 * - Records are keyed by (topic_id, partition_no, record_offset) in a
 *   WITHOUT ROWID table, so a partition is one contiguous range of the
 *   primary b-tree: one insert per record and sequential reads on replay.
 *   `crc` covers the whole record (see `recordChecksum`).
 */
export const LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '0001_topics_partitions_records',
    sql: `
      CREATE TABLE millrace_log_topics (
        topic_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        partitions INTEGER NOT NULL,
        round_robin INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE millrace_log_partitions (
        topic_id INTEGER NOT NULL REFERENCES millrace_log_topics (topic_id),
        partition_no INTEGER NOT NULL,
        next_offset INTEGER NOT NULL,
        PRIMARY KEY (topic_id, partition_no)
      ) WITHOUT ROWID;
      CREATE TABLE millrace_log_records (
        topic_id INTEGER NOT NULL,
        partition_no INTEGER NOT NULL,
        record_offset INTEGER NOT NULL,
        record_key TEXT,
        timestamp INTEGER NOT NULL,
        value BLOB NOT NULL,
        crc INTEGER NOT NULL,
        PRIMARY KEY (topic_id, partition_no, record_offset)
      ) WITHOUT ROWID;`,
  },
];

/** Creates a topic unless it exists; the caller compares partition counts. */
export const INSERT_TOPIC = `
  INSERT INTO millrace_log_topics (name, partitions, created_at) VALUES (?, ?, ?)
  ON CONFLICT (name) DO NOTHING`;

/** A topic's id, partition count and round-robin cursor. */
export const SELECT_TOPIC = 'SELECT topic_id, partitions, round_robin FROM millrace_log_topics WHERE name = ?';

/** Moves the round-robin cursor past the keyless records of an append. */
export const UPDATE_ROUND_ROBIN = 'UPDATE millrace_log_topics SET round_robin = ? WHERE topic_id = ?';

/** One partition of a new topic, starting at offset 0. */
export const INSERT_PARTITION = `
  INSERT INTO millrace_log_partitions (topic_id, partition_no, next_offset) VALUES (?, ?, 0)
  ON CONFLICT (topic_id, partition_no) DO NOTHING`;

/** Every partition's next offset, in partition order (`TopicInfo.endOffsets`). */
export const SELECT_END_OFFSETS = 'SELECT next_offset FROM millrace_log_partitions WHERE topic_id = ? ORDER BY partition_no';

/** The offset the next record of one partition gets. */
export const SELECT_NEXT_OFFSET = 'SELECT next_offset FROM millrace_log_partitions WHERE topic_id = ? AND partition_no = ?';

/** Advances a partition past the records of an append. */
export const UPDATE_NEXT_OFFSET = 'UPDATE millrace_log_partitions SET next_offset = ? WHERE topic_id = ? AND partition_no = ?';

/** One record with its checksum. */
export const INSERT_RECORD = `
  INSERT INTO millrace_log_records (topic_id, partition_no, record_offset, record_key, timestamp, value, crc)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** A partition from an offset: one range scan of the primary key. */
export const SELECT_RECORDS = `
  SELECT record_offset, record_key, timestamp, value, crc FROM millrace_log_records
  WHERE topic_id = ? AND partition_no = ? AND record_offset >= ?
  ORDER BY record_offset LIMIT ?`;

/** A row of `millrace_log_topics` as read. */
export interface TopicRow {
  topic_id: number;
  partitions: number;
  round_robin: number;
}

/**
 * A row of `millrace_log_records` as read. Typed `unknown` where a hand
 * edit of the file could put anything: the checksum check sorts it out.
 */
export interface RecordRow {
  record_offset: number;
  record_key: unknown;
  timestamp: unknown;
  value: unknown;
  crc: unknown;
}
