/**
 * @module adapters/embedded/read-handle-cache
 * Open file handles kept for ranged reads. A query reads a few dozen
 * ranges of a few files; opening each time cost five trips to libuv's
 * thread pool a range (resolve the directory, open, stat, read, close)
 * where one read does, and those trips were a tenth of a query thread's
 * time under load (docs/queries.md).
 *
 * A handle is shared by the reads running on it and closed when the last
 * one ends after it was dropped. Handles are dropped when the cache is
 * full (least recently used first), when the blob is deleted through this
 * store, and when they are older than `maxAgeMs`: a blob deleted by
 * another process may still be read here for that long, never longer.
 * Entries are keyed by key and content hash, so a ref to other content
 * under the same key opens the file afresh.
 */
import type { FileHandle } from 'node:fs/promises';

interface Entry {
  readonly key: string;
  readonly handle: Promise<FileHandle>;
  readonly openedAt: number;
  users: number;
  dropped: boolean;
}

export interface ReadHandleCacheOptions {
  /** @defaultValue 64 */
  maxOpen?: number;
  /** @defaultValue 1 000 ms */
  maxAgeMs?: number;
  now?: () => number;
}

export class ReadHandleCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxOpen: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: ReadHandleCacheOptions = {}) {
    this.maxOpen = options.maxOpen ?? 64;
    this.maxAgeMs = options.maxAgeMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /** Runs `read` on the handle for (`key`, `version`), opening it with `open` when none is kept. */
  async use<T>(key: string, version: string, open: () => Promise<FileHandle>, read: (handle: FileHandle) => Promise<T>): Promise<T> {
    const id = `${key}\n${version}`;
    let entry = this.entries.get(id);
    if (entry !== undefined && this.now() - entry.openedAt > this.maxAgeMs) {
      this.drop(id, entry);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = { key, handle: open(), openedAt: this.now(), users: 0, dropped: false };
      this.entries.set(id, entry);
      this.trim();
    } else {
      this.entries.delete(id); // re-inserted: the map's order is the LRU order
      this.entries.set(id, entry);
    }
    entry.users++;
    try {
      return await read(await entry.handle);
    } catch (error) {
      this.drop(id, entry); // a failed open or read says nothing good about the handle
      throw error;
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) closeQuietly(entry.handle);
    }
  }

  /** Drops every handle on `key` (it is being deleted). */
  forget(key: string): void {
    for (const [id, entry] of this.entries) if (entry.key === key) this.drop(id, entry);
  }

  /** Drops every handle; the ones in use close when their reads end. */
  clear(): void {
    for (const [id, entry] of this.entries) this.drop(id, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  private trim(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.maxOpen) return;
      this.drop(id, entry);
    }
  }

  private drop(id: string, entry: Entry): void {
    if (this.entries.get(id) === entry) this.entries.delete(id);
    if (entry.dropped) return;
    entry.dropped = true;
    if (entry.users === 0) closeQuietly(entry.handle);
  }
}

function closeQuietly(handle: Promise<FileHandle>): void {
  handle.then((h) => h.close()).catch(() => undefined); // a handle that never opened has nothing to close
}
