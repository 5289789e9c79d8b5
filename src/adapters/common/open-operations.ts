/**
 * @module adapters/common/open-operations
 * A store's operations between open and closed: once `close` begins, new
 * ones fail with `NOT_AVAILABLE`, and `close` resolves only after those
 * already running have settled, so none finds its file handles or its
 * HTTP client gone halfway through.
 */
import { MillraceError } from '../../core/errors.js';

export class OpenOperations {
  private readonly running = new Set<Promise<unknown>>();
  private closing = false;

  /** @param kind and `name` name the store in the error: `blob store "fs" is closed` */
  constructor(private readonly kind: string, private readonly name: string) {}

  /** @throws `NOT_AVAILABLE` once closing has begun */
  assertOpen(): void {
    if (this.closing) throw new MillraceError('NOT_AVAILABLE', `${this.kind} "${this.name}" is closed`, { store: this.name });
  }

  /** Runs `operation` as one the store must wait for when it closes; rejects without starting it once closing has begun. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = operation();
    this.running.add(promise);
    const forget = (): void => {
      this.running.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** Refuses new operations and waits for the running ones to settle. Returns false if closing had already begun. */
  async close(): Promise<boolean> {
    if (this.closing) return false;
    this.closing = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    return true;
  }
}
