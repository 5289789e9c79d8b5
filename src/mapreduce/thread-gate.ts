/**
 * @module mapreduce/thread-gate
 * A first-come, first-served semaphore for the map tasks of one thread.
 *
 * A worker takes up to 16 tasks per thread at once, a setting made for
 * tasks that mostly wait (on I/O, on other services). Map tasks mostly
 * compute: interleaving fifteen of them on one thread makes none faster,
 * but keeps fifteen buffers alive at once, and the garbage collector's
 * marking grows with them — measured on page-hits, it doubled the GC
 * threads' time, which competes with the map threads for the same cores.
 * So each thread runs at most a few map tasks at a time (two: one can
 * compute while the other waits on a read); the others wait their turn here,
 * holding nothing. Module state is per thread: each worker thread imports
 * its own copy of this module.
 */

export class ThreadGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {}

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const enter = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve(this.releaser());
      };
      const onAbort = (): void => {
        const at = this.waiting.indexOf(enter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason);
      };
      this.waiting.push(enter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}
