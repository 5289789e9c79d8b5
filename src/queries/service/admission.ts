/**
 * @module queries/service/admission
 * Admission control: a bound on the queries computing at once and on the
 * memory their grids and partial results hold, so a spike queues up or is
 * turned away instead of exhausting memory.
 *
 * ```
 *  admit(cost, client) ── fits and nobody waits? ──▶ permit
 *         │ no
 *         ├─ waiting list full, or cost over the whole budget ──▶ QUERY_OVERLOADED (retry after N s)
 *         └─ wait in the client's line; lines are served in turn (round robin),
 *            so one client's burst does not starve the others; a wait longer
 *            than maxWaitMs ends in QUERY_OVERLOADED
 * ```
 *
 * A permit is released when its query ends, successful or not; releasing
 * admits waiters in turn while they fit.
 */
import { SystemClock, type Clock, type Timer } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { queryError } from '../query-errors.js';
import { totalmem } from 'node:os';

export interface AdmissionOptions {
  /** Queries computing at once. @defaultValue 32 */
  maxQueries: number;
  /** Bytes of grids and partial results held at once. @defaultValue an eighth of the machine's memory, at most 1 GiB */
  maxBytes: number;
  /** Queries waiting at once; past it, new ones are turned away. @defaultValue 512 */
  maxWaiting: number;
  /** Longest wait for admission. @defaultValue 5 000 ms */
  maxWaitMs: number;
  clock: Clock;
}

export interface Permit {
  release(): void;
}

interface Waiter {
  cost: number;
  client: string;
  grant: (permit: Permit) => void;
  fail: (error: unknown) => void;
  timer: Timer;
}

export interface AdmissionStats {
  running: number;
  bytes: number;
  waiting: number;
  rejected: number;
}

export function defaultAdmissionOptions(): AdmissionOptions {
  return { maxQueries: 32, maxBytes: Math.min(2 ** 30, Math.floor(totalmem() / 8)), maxWaiting: 512, maxWaitMs: 5_000, clock: new SystemClock() };
}

export class Admission {
  private readonly options: AdmissionOptions;
  private running = 0;
  private bytes = 0;
  private rejected = 0;
  /** Lines of waiters by client, in the order clients are served. */
  private readonly lines = new Map<string, Waiter[]>();
  private waiting = 0;
  /** Mean time a permit is held, for Retry-After. */
  private meanHoldMs = 100;

  constructor(options: Partial<AdmissionOptions> = {}) {
    this.options = { ...defaultAdmissionOptions(), ...options };
    const { maxQueries, maxBytes, maxWaiting, maxWaitMs } = this.options;
    for (const [field, value] of Object.entries({ maxQueries, maxBytes, maxWaiting, maxWaitMs })) {
      if (!Number.isFinite(value) || value < (field === 'maxWaiting' ? 0 : 1)) throw new MillraceError('CONFIG_INVALID', `admission ${field} must be a positive number, got ${value}`, { field });
    }
  }

  get stats(): AdmissionStats {
    return { running: this.running, bytes: this.bytes, waiting: this.waiting, rejected: this.rejected };
  }

  /**
   * Waits for room for a query of `cost` bytes.
   * @throws `QUERY_OVERLOADED` with `details.retryAfterSeconds`; `QUERY_CANCELLED` when `signal` aborts
   */
  admit(cost: number, client: string, signal?: AbortSignal): Promise<Permit> {
    if (cost > this.options.maxBytes) {
      return Promise.reject(queryError('QUERY_OVERLOADED', `the query needs ${cost} bytes, more than the ${this.options.maxBytes} bytes all queries may hold; ask for a smaller output`, { retryAfterSeconds: 0, cost }));
    }
    if (this.waiting === 0 && this.fits(cost)) return Promise.resolve(this.grant(cost));
    if (this.waiting >= this.options.maxWaiting) return Promise.reject(this.overloaded('too many queries are waiting'));
    return new Promise<Permit>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.remove(waiter)) reject(queryError('QUERY_CANCELLED', 'the query was cancelled while waiting for admission', {}));
      };
      const waiter: Waiter = {
        cost, client,
        grant: (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
        timer: this.options.clock.setTimer(() => {
          if (this.remove(waiter)) waiter.fail(this.overloaded(`no room within ${this.options.maxWaitMs} ms`));
        }, this.options.maxWaitMs),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const line = this.lines.get(client) ?? [];
      line.push(waiter);
      this.lines.set(client, line);
      this.waiting++;
    });
  }

  private fits(cost: number): boolean {
    return this.running < this.options.maxQueries && this.bytes + cost <= this.options.maxBytes;
  }

  private grant(cost: number): Permit {
    this.running++;
    this.bytes += cost;
    const since = this.options.clock.now();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.running--;
        this.bytes -= cost;
        this.meanHoldMs = 0.9 * this.meanHoldMs + 0.1 * (this.options.clock.now() - since);
        this.pump();
      },
    };
  }

  /** Admits waiters in turn, one client at a time, while the next one fits. */
  private pump(): void {
    for (const [client, line] of this.lines) {
      const next = line[0]!;
      if (!this.fits(next.cost)) return;
      line.shift();
      this.waiting--;
      // The client goes to the back of the turn order (or leaves it when its line is empty).
      this.lines.delete(client);
      if (line.length > 0) this.lines.set(client, line);
      next.timer.cancel();
      next.grant(this.grant(next.cost));
      this.pump();
      return;
    }
  }

  private remove(waiter: Waiter): boolean {
    const line = this.lines.get(waiter.client);
    const at = line?.indexOf(waiter) ?? -1;
    if (line === undefined || at < 0) return false;
    line.splice(at, 1);
    if (line.length === 0) this.lines.delete(waiter.client);
    this.waiting--;
    waiter.timer.cancel();
    return true;
  }

  private overloaded(why: string): MillraceError {
    this.rejected++;
    const retryAfterSeconds = Math.max(1, Math.ceil(((this.waiting / this.options.maxQueries + 1) * this.meanHoldMs) / 1000));
    return queryError('QUERY_OVERLOADED', `too busy to take the query: ${why}; retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}
