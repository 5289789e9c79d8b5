/**
 * @module adapters/embedded/sqlite-database
 * Opens an embedded SQLite database the way every embedded adapter needs it:
 * WAL (readers never block the writer), `synchronous = FULL` (a commit is
 * fsync'd before it returns, so nothing is acknowledged before it is
 * durable), a busy timeout, and numbered migrations applied at open.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MillraceError } from '../../core/errors.js';

export type SqliteDatabase = Database.Database;

/** One schema change, applied once, in `version` order. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface OpenSqliteOptions {
  /** File path, or `':memory:'`. */
  path: string;
  /** Schema owner, e.g. `'queue'`: migrations are tracked per component so several may share a file. */
  component: string;
  migrations: readonly Migration[];
}

/** Opens (creating if needed) and migrates a database. */
export function openSqlite(options: OpenSqliteOptions): SqliteDatabase {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new MillraceError('STORAGE_CORRUPT', `cannot open SQLite database ${options.path}: ${(cause as Error).message}`, { path: options.path }, { cause });
  }
  applyMigrations(db, options.component, options.migrations);
  return db;
}

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS millrace_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  )`;
const SELECT_APPLIED = 'SELECT version FROM millrace_migrations WHERE component = ?';
const SELECT_ONE_APPLIED = 'SELECT 1 FROM millrace_migrations WHERE component = ? AND version = ?';
const INSERT_APPLIED = 'INSERT INTO millrace_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)';

/** Applies the `component`'s migrations not yet recorded in `db`, each in its own transaction. */
export function applyMigrations(db: SqliteDatabase, component: string, migrations: readonly Migration[]): void {
  db.exec(CREATE_MIGRATIONS_TABLE);
  const applied = new Set((db.prepare(SELECT_APPLIED).all(component) as Array<{ version: number }>).map((r) => r.version));
  const record = db.prepare(INSERT_APPLIED);
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
  const isApplied = db.prepare(SELECT_ONE_APPLIED);
  for (const migration of pending) {
    // IMMEDIATE takes the write lock before the check: two processes opening a new file at once
    // (stream runners) would otherwise both see the migration missing and both run it.
    db.transaction(() => {
      if (isApplied.get(component, migration.version) !== undefined) return;
      db.exec(migration.sql);
      record.run(component, migration.version, migration.name, Date.now());
    }).immediate();
  }
}
