/**
 * The fault harness's ledger: every effect a scenario's task handlers or
 * sinks apply is recorded here under its key, one row per application (so a
 * duplicate shows as two rows). A SQLite file in the run's directory: any
 * process or thread may open it and record, and a row committed before a
 * SIGKILL survives it (WAL, synchronous = FULL).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

const SCHEMA = `CREATE TABLE IF NOT EXISTS effects (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  pid INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL
)`;
const INSERT = 'INSERT INTO effects (kind, key, detail, pid, recorded_at) VALUES (?, ?, ?, ?, ?)';
const SELECT_KEYS = 'SELECT key FROM effects WHERE kind = ? ORDER BY seq';
const SELECT_ENTRIES = 'SELECT kind, key, detail FROM effects WHERE kind = ? ORDER BY seq';
const COUNT = 'SELECT COUNT(*) AS n FROM effects WHERE kind = ?';
const COUNT_KEY = 'SELECT COUNT(*) AS n FROM effects WHERE kind = ? AND key = ?';

/** One recorded application of an effect. */
export interface LedgerEntry {
  kind: string;
  key: string;
  /** Free text for a human reading a failing run (attempt, worker). */
  detail?: string;
}

/** A connection to a ledger file. Open one per process or thread; close it when done. */
export class Ledger {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // Several processes and threads record at once: wait for the lock rather than fail.
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare(INSERT);
  }

  /** Records one application of the effect `key` (of `kind`, e.g. `'applied'`, `'executed'`). Durable when it returns. */
  record(kind: string, key: string, detail = ''): void {
    this.insert.run(kind, key, detail, process.pid, Date.now());
  }

  /** Records several in one transaction. */
  recordAll(entries: readonly LedgerEntry[]): void {
    this.db.transaction(() => {
      for (const entry of entries) this.insert.run(entry.kind, entry.key, entry.detail ?? '', process.pid, Date.now());
    })();
  }

  /** Every recorded key of `kind`, in recording order, duplicates included. */
  keys(kind: string): string[] {
    return (this.db.prepare(SELECT_KEYS).all(kind) as Array<{ key: string }>).map((row) => row.key);
  }

  /** Every entry of `kind` with its detail (a value a sink applied, say), in recording order. */
  entries(kind: string): LedgerEntry[] {
    return this.db.prepare(SELECT_ENTRIES).all(kind) as LedgerEntry[];
  }

  /** Entries of `kind`, or of `kind` and `key`. */
  count(kind: string, key?: string): number {
    const row = key === undefined ? this.db.prepare(COUNT).get(kind) : this.db.prepare(COUNT_KEY).get(kind, key);
    return (row as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Records into the ledger at `path` with a connection kept per process/thread
 * (for task handlers, which run in worker threads); returns how many times
 * `key` is now recorded under `kind`.
 */
export function recordEffect(path: string, kind: string, key: string, detail = ''): number {
  let ledger = openLedgers.get(path);
  if (ledger === undefined) {
    ledger = new Ledger(path);
    openLedgers.set(path, ledger);
  }
  ledger.record(kind, key, detail);
  return ledger.count(kind, key);
}
const openLedgers = new Map<string, Ledger>();
