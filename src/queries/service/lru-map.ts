/**
 * @module queries/service/lru-map
 * A string-keyed map that forgets its least recently used entries past a
 * bound on their count or their total size: `lru-cache` behind the small
 * interface the query service uses.
 */
import { LRUCache } from 'lru-cache';

export interface LruMapOptions<V> {
  /** Most entries. @defaultValue unbounded (then `maxSize` must be set) */
  maxEntries?: number;
  /** Most total size, by `sizeOf`. @defaultValue unbounded */
  maxSize?: number;
  sizeOf?: (value: V, key: string) => number;
}

export class LruMap<V extends NonNullable<unknown>> {
  private readonly cache: LRUCache<string, V>;

  constructor(options: LruMapOptions<V> = {}) {
    const sizeOf = options.sizeOf;
    this.cache = new LRUCache<string, V>({
      ...(options.maxEntries === undefined ? {} : { max: options.maxEntries }),
      ...(options.maxSize === undefined ? {} : { maxSize: options.maxSize, sizeCalculation: (value, key) => Math.max(1, Math.ceil(sizeOf?.(value, key) ?? 1)) }),
    } as LRUCache.Options<string, V, unknown>);
  }

  get size(): number {
    return this.cache.size;
  }

  /** Sum of the entries' sizes. */
  get totalSize(): number {
    return this.cache.calculatedSize;
  }

  get(key: string): V | undefined {
    return this.cache.get(key);
  }

  /** Stores a value; one larger than `maxSize` on its own is not kept. */
  set(key: string, value: V): void {
    this.cache.set(key, value);
  }

  delete(key: string): void {
    this.cache.delete(key);
  }
}
