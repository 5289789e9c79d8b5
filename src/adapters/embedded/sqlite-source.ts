/**
 * @module adapters/embedded/sqlite-source
 * Where an embedded adapter gets its database: a file it opens (and so
 * closes), or a handle someone else opened and keeps owning. Sharing one
 * handle is what lets a stream pipeline commit a log append and a checkpoint
 * in one SQLite transaction (see `SqliteLog.appendSync` and
 * `SqliteCheckpointStore.commitSync`). Driver errors are mapped to engine
 * codes here, once, for every embedded adapter.
 */
import { MillraceError, type ErrorDetails } from '../../core/errors.js';
import { applyMigrations, openSqlite, type Migration, type SqliteDatabase } from './sqlite-database.js';

/**
 * Where an adapter keeps its tables: either `{ path }` (opened, migrated and
 * closed by the adapter) or `{ database }` (an open file-backed handle from
 * `openSqlite`; the adapter migrates its own component into it and never
 * closes it).
 */
export type SqliteSource = { path: string; database?: undefined } | { database: SqliteDatabase; path?: undefined };

/** A database an adapter uses, and whether closing it is the adapter's job. */
export interface AttachedSqlite {
  db: SqliteDatabase;
  owned: boolean;
}

/**
 * Opens or borrows the database for `component` and applies its migrations.
 *
 * @throws MillraceError `CONFIG_INVALID` for a closed handle
 */
export function attachSqlite(source: SqliteSource, component: string, migrations: readonly Migration[]): AttachedSqlite {
  if (source.database === undefined) return { db: openSqlite({ path: source.path, component, migrations }), owned: true };
  const db = source.database;
  if (!db.open) throw new MillraceError('CONFIG_INVALID', `cannot attach ${component} to a closed SQLite database`, { component });
  applyMigrations(db, component, migrations);
  return { db, owned: false };
}

/**
 * Turns a better-sqlite3 error into the engine's vocabulary: a write lock
 * held past the busy timeout (another process) is `NOT_AVAILABLE`, and so is a
 * full disk (`SQLITE_FULL`: the write is rolled back whole and may be
 * retried once space returns); a damaged file is `STORAGE_CORRUPT`.
 * Anything else, ours included, passes unchanged.
 * The one place embedded adapters map driver errors.
 */
export function translateSqliteError(error: unknown, details: ErrorDetails): unknown {
  if (error instanceof MillraceError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return error;
  const message = (error as Error).message;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new MillraceError('NOT_AVAILABLE', `SQLite database is locked: ${message}`, details, { cause: error });
  }
  if (code === 'SQLITE_FULL') {
    return new MillraceError('NOT_AVAILABLE', `storage full, nothing was written: ${message}`, details, { cause: error });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new MillraceError('STORAGE_CORRUPT', `SQLite database is corrupt: ${message}`, details, { cause: error });
  }
  return error;
}
