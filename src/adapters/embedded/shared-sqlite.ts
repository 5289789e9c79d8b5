/**
 * @module adapters/embedded/shared-sqlite
 * One SQLite file and one group commit shared by several embedded adapters.
 * The engine keeps its task queue and its event store in one file this way:
 * a tick's task acks, result events and next leases then commit in one
 * transaction with one fsync, where two files cost two (each with its own
 * WAL pages to write), and the turn of a fan-out that moves 32 tasks
 * forward is bounded by those commits.
 */
import type { Clock } from '../../core/clock.js';
import { GroupCommit } from './group-commit.js';
import { openSqlite, type SqliteDatabase } from './sqlite-database.js';

/** A handle to pass as `{ database, commits }` to embedded adapters; closed by whoever opened it, after them. */
export interface SharedSqlite {
  readonly database: SqliteDatabase;
  readonly commits: GroupCommit;
  /** Commits what is pending and closes the file. Idempotent. */
  close(): void;
}

export function openSharedSqlite(path: string, clock: Clock): SharedSqlite {
  const database = openSqlite({ path, component: 'shared', migrations: [] });
  const commits = new GroupCommit(database, clock, `SQLite database ${path}`);
  return {
    database,
    commits,
    close: () => {
      if (!database.open) return;
      commits.close();
      database.close();
    },
  };
}
