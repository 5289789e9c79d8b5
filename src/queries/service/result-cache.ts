/**
 * @module queries/service/result-cache
 * Rendered answers by normalised query, least recently used first out,
 * bounded in bytes. A key pins the dataset revision (its manifest hash),
 * and revisions and files are immutable, so an entry never goes stale: no
 * expiry, only eviction for room.
 */
import { LruMap } from './lru-map.js';

export interface RenderedAnswer {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Axes and levels of the answer, for response headers. */
  summary: AnswerSummary;
}

export interface AnswerSummary {
  rt: { min: number; max: number; n: number };
  mz: { min: number; max: number; n: number };
  levels: Array<{ file: string; rt: number; mz: number }>;
  bytesRead: number;
  /** The largest slot value: the top of a PNG's colour scale. */
  max: number;
}

export interface CacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

export class ResultCache {
  private readonly lru: LruMap<RenderedAnswer>;
  private hits = 0;
  private misses = 0;

  /** @param maxBytes - bytes of answers kept; 0 disables the cache */
  constructor(private readonly maxBytes: number) {
    this.lru = new LruMap<RenderedAnswer>({ maxSize: Math.max(1, maxBytes), sizeOf: (answer, key) => answer.body.length + key.length + 512 });
  }

  get(key: string): RenderedAnswer | undefined {
    const found = this.maxBytes > 0 ? this.lru.get(key) : undefined;
    if (found === undefined) this.misses++;
    else this.hits++;
    return found;
  }

  set(key: string, answer: RenderedAnswer): void {
    if (this.maxBytes > 0) this.lru.set(key, answer);
  }

  get stats(): CacheStats {
    return { entries: this.lru.size, bytes: this.lru.totalSize, hits: this.hits, misses: this.misses };
  }
}
