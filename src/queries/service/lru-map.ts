/**
 * @module queries/service/lru-map
 * A map that forgets its least recently used entries past a bound on
 * their count or their total size. (The `lru-cache` package would do; its
 * type declarations crash the lint's import-cycle rule, see
 * docs/queries.md, so this small one stands in.) A Map keeps insertion
 * order: a `get` moves the entry to the end, eviction takes from the start.
 */
export interface LruMapOptions<V> {
  /** Most entries. @defaultValue unbounded */
  maxEntries?: number;
  /** Most total size, by `sizeOf`. @defaultValue unbounded */
  maxSize?: number;
  sizeOf?: (value: V, key: string) => number;
}

export class LruMap<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private total = 0;

  constructor(private readonly options: LruMapOptions<V> = {}) {}

  get size(): number {
    return this.entries.size;
  }

  /** Sum of the entries' sizes. */
  get totalSize(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores a value; one larger than `maxSize` on its own is not kept. */
  set(key: string, value: V): void {
    this.delete(key);
    const size = this.options.sizeOf?.(value, key) ?? 0;
    if (this.options.maxSize !== undefined && size > this.options.maxSize) return;
    this.entries.set(key, { value, size });
    this.total += size;
    const maxEntries = this.options.maxEntries ?? Infinity;
    const maxSize = this.options.maxSize ?? Infinity;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= maxEntries && this.total <= maxSize) break;
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.size;
  }
}
