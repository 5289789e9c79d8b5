/**
 * @module adapters/s3/keyed-mutex
 * Runs async work one at a time per key, and concurrently across keys.
 * `S3BlobStore.put` uses it so that writers of one key inside one process
 * take turns: the second sees the first's object with its `HEAD` instead of
 * racing it. That makes immutability hold within a process on any server;
 * across processes it is the server's conditional write that decides.
 */

/** A lock per key; entries disappear when their last holder leaves. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier `run` for `key` has settled. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => turn);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work queued or running (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
