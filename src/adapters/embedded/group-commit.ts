/**
 * @module adapters/embedded/group-commit
 * Group commit for a SQLite connection: work submitted during one turn of the
 * event loop runs in one `BEGIN IMMEDIATE` transaction, and every promise
 * settles only after that transaction committed (one fsync under
 * `synchronous = FULL`). Callers therefore never see "done" for something a
 * crash could undo, yet a tick's hundred acks and next batch lease cost one
 * fsync, not a hundred and one.
 *
 * ```
 *   submit() ─┐                       ┌─ BEGIN IMMEDIATE
 *   submit() ─┼─► queue ─setImmediate─┤   write jobs, in submission order
 *   submit() ─┘   (write | late)      │   late jobs (leases: see every write)
 *                                     └─ COMMIT ─► settle every promise
 * ```
 *
 * Work whose loss in a power cut harms nothing (a lease, an ack: the message
 * comes back and is delivered again, which at-least-once allows) may be
 * submitted as `visible`: a batch of only such work commits without the
 * fsync (`synchronous = NORMAL` for that one transaction; the next durable
 * commit's fsync covers its WAL frames too). A process crash loses nothing
 * either way: the commit is in the WAL file, only the disk cache may lag.
 *
 * A job that throws fails alone: single statements abort only themselves,
 * and multi-statement jobs wrap themselves in a savepoint (`atomic`). If
 * SQLite rolled the whole transaction back (disk full, I/O error), every job
 * of the batch fails, since none of their writes survived.
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { SqliteDatabase } from './sqlite-database.js';
import { translateSqliteError } from './sqlite-source.js';

/** `write` jobs run first, in order; `late` jobs run after all writes of the batch. */
export type JobPhase = 'write' | 'late';

/** `durable`: settled once fsync'd. `visible`: settled once committed (seen by every reader), fsync'd by a later durable batch. */
export type Durability = 'durable' | 'visible';

interface Job {
  work(now: number): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Batches work into one transaction per event-loop turn. */
export class GroupCommit {
  private writes: Job[] = [];
  private late: Job[] = [];
  private scheduled = false;
  private closed = false;
  /** Some job of the pending batch must be fsync'd before it settles. */
  private durable = false;
  private readonly runBatch: { immediate(jobs: readonly Job[], now: number): Outcome[] };

  constructor(
    private readonly db: SqliteDatabase,
    private readonly clock: Clock,
    private readonly describe: string,
  ) {
    this.runBatch = db.transaction((jobs: readonly Job[], now: number) => jobs.map((job) => this.runJob(job, now)));
  }

  /** Runs `work` in the next batch; resolves with its result once committed. */
  submit<T>(work: (now: number) => T, phase: JobPhase = 'write', durability: Durability = 'durable'): Promise<T> {
    if (this.closed) return Promise.reject(new MillraceError('QUEUE_CLOSED', `${this.describe} is closed`));
    if (durability === 'durable') this.durable = true;
    return new Promise<T>((resolve, reject) => {
      (phase === 'write' ? this.writes : this.late).push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Wraps `fn` so that, run inside a batch, it commits or rolls back as a unit (a savepoint). */
  atomic<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return this.db.transaction(fn);
  }

  /** Commits what is pending, then refuses further work. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writes.length === 0 && this.late.length === 0) return;
    const jobs = this.writes.length === 0 ? this.late : this.late.length === 0 ? this.writes : [...this.writes, ...this.late];
    this.writes = [];
    this.late = [];
    const durable = this.durable;
    this.durable = false;
    let outcomes: Outcome[];
    try {
      outcomes = durable ? this.runBatch.immediate(jobs, this.clock.now()) : this.runWithoutFsync(jobs);
    } catch (error) {
      const failure = toStorageError(error, this.describe);
      for (const job of jobs) job.reject(failure);
      return;
    }
    for (let i = 0; i < jobs.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.ok) jobs[i]!.resolve(outcome.value);
      else jobs[i]!.reject(outcome.error);
    }
  }

  /** The connection is back to `FULL` before anything else can commit on it (other adapters share it). */
  private runWithoutFsync(jobs: readonly Job[]): Outcome[] {
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.runBatch.immediate(jobs, this.clock.now());
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private runJob(job: Job, now: number): Outcome {
    try {
      return { ok: true, value: job.work(now) };
    } catch (error) {
      // SQLite rolled the whole transaction back: the batch is lost, fail it all.
      if (!this.db.inTransaction) throw error;
      return { ok: false, error: error instanceof MillraceError ? error : toStorageError(error, this.describe) };
    }
  }
}

/** A driver error as an engine error: mapped by `translateSqliteError`, anything unmapped is the storage failing. */
export function toStorageError(error: unknown, describe: string): MillraceError {
  const translated = translateSqliteError(error, { store: describe });
  if (translated instanceof MillraceError) return translated;
  const message = error instanceof Error ? error.message : String(error);
  return new MillraceError('NOT_AVAILABLE', `${describe}: storage failed: ${message}`, { store: describe }, { cause: error });
}
