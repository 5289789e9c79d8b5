/**
 * @module queries/service/single-flight
 * Identical queries computed once: callers asking for a key already being
 * computed wait for that computation. The computation is cancelled only
 * when every caller waiting for it has gone (a browser tab closed): one
 * user's disconnect never fails another's identical request.
 */
import { queryError } from '../query-errors.js';

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SingleFlight<T> {
  private readonly flights = new Map<string, Flight<T>>();

  /** Computations running now. */
  get size(): number {
    return this.flights.size;
  }

  /**
   * Joins the computation of `key`, starting it with `compute` if none runs.
   * Rejects with `QUERY_CANCELLED` for this caller when `signal` aborts.
   * @returns the value, and whether this caller joined a computation already running
   */
  async run(key: string, compute: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<{ value: T; joined: boolean }> {
    let flight = this.flights.get(key);
    const joined = flight !== undefined;
    if (flight === undefined) {
      const controller = new AbortController();
      const started: Flight<T> = { controller, waiters: 0, promise: Promise.resolve().then(() => compute(controller.signal)) };
      flight = started;
      this.flights.set(key, started);
      const forget = (): void => {
        if (this.flights.get(key) === started) this.flights.delete(key);
      };
      started.promise.then(forget, forget);
    }
    const current = flight;
    current.waiters++;
    if (signal === undefined) {
      try {
        return { value: await current.promise, joined };
      } finally {
        current.waiters--;
      }
    }
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      let settled = false;
      const leave = (): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        current.waiters--;
      };
      const onAbort = (): void => {
        leave();
        if (current.waiters === 0) {
          current.controller.abort(queryError('QUERY_CANCELLED', 'the query was cancelled: every caller waiting for it went away', {}));
          if (this.flights.get(key) === current) this.flights.delete(key);
        }
        reject(queryError('QUERY_CANCELLED', 'the caller went away', {}));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      current.promise.then((value) => {
        if (settled) return;
        leave();
        resolve({ value, joined });
      }, (error: unknown) => {
        if (settled) return;
        leave();
        reject(error);
      });
    });
  }
}
