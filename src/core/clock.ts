/**
 * @module core/clock
 * Time enters the engine only through a `Clock`, so windows, leases,
 * timeouts and backoff can be tested by moving a manual clock instead of
 * sleeping. Domain logic never calls `Date.now()` or `setTimeout` directly.
 */
import { MillraceError } from './errors.js';

/** A cancellable timer. */
export interface Timer {
  cancel(): void;
}

/** The source of time and timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds of this clock's time. */
  setTimer(callback: () => void, ms: number): Timer;
  /** Resolves after `ms`; rejects with `TASK_ABORTED` if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time. Timers are unref'd so a pending one never keeps the process alive. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, ms: number): Timer {
    const handle = setTimeout(callback, Math.max(0, ms));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/**
 * A clock that moves only when told. `advance(ms)` fires the timers that
 * fall due, in order of due time, each seeing `now()` at its own due time.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(0)
 * const slept = clock.sleep(1000)
 * await clock.advance(1000) // slept resolves
 * ```
 */
export class ManualClock implements Clock {
  private current: number;
  private sequence = 0;
  private readonly timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, ms: number): Timer {
    const id = this.sequence++;
    this.timers.set(id, { due: this.current + Math.max(0, ms), callback });
    return { cancel: () => this.timers.delete(id) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers not yet fired; a test can assert none leaked. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward, firing due timers one by one and letting promise
   * callbacks they trigger run before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.current = next.due;
      next.callback();
      await flushMicrotasks();
    }
    this.current = target;
    await flushMicrotasks();
  }

  private nextDue(limit: number): { id: number; due: number; callback: () => void } | undefined {
    let best: { id: number; due: number; callback: () => void } | undefined;
    for (const [id, timer] of this.timers) {
      if (timer.due > limit) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && id < best.id)) best = { id, ...timer };
    }
    return best;
  }
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(abortError(signal!));
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): MillraceError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new MillraceError('TASK_ABORTED', `aborted: ${reason}`);
}

/** Lets every already-queued promise callback run (a few macrotask-free turns). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
