/**
 * @module adapters/embedded/sqlite-event-store-sql
 * Schema and statements of `SqliteEventStore`. Values are always bound
 * parameters; nothing here is built by concatenation.
 */
import type { Migration } from './sqlite-database.js';

/** Component name under which the event store's migrations are tracked. */
export const EVENT_STORE_COMPONENT = 'event-store';

/**
 * `position` is the rowid: SQLite has one writer at a time, so rowids are
 * handed out in commit order and `readAll` can never see a later commit
 * before an earlier one. AUTOINCREMENT keeps a position from ever being
 * reused, even if the newest row were removed by hand.
 */
export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '0001_events',
    sql: `
      CREATE TABLE millrace_events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        stream_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        UNIQUE (stream_id, version)
      );`,
  },
];

/** The newest event of a stream: its version is the stream's version. Served by the (stream_id, version) index. */
export const SELECT_STREAM_HEAD = 'SELECT version, position FROM millrace_events WHERE stream_id = ? ORDER BY version DESC LIMIT 1';

/** Where an event id is stored, to recognise a retried append. */
export const SELECT_EVENT_PLACE = 'SELECT stream_id, version, position FROM millrace_events WHERE event_id = ?';

/** One event; `position` is assigned by SQLite. */
export const INSERT_EVENT = `
  INSERT INTO millrace_events (event_id, stream_id, version, type, data, metadata, recorded_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;

const EVENT_COLUMNS = 'event_id, stream_id, version, position, type, data, metadata, recorded_at';

/** One stream from a version, in version order. A negative LIMIT means "no limit" in SQLite. */
export const SELECT_STREAM_EVENTS = `
  SELECT ${EVENT_COLUMNS} FROM millrace_events
  WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?`;

/** All streams in commit order after a position. */
export const SELECT_ALL_EVENTS = `
  SELECT ${EVENT_COLUMNS} FROM millrace_events
  WHERE position > ? ORDER BY position LIMIT ?`;

/** A row of `millrace_events` as read. */
export interface EventRow {
  event_id: string;
  stream_id: string;
  version: number;
  position: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}
