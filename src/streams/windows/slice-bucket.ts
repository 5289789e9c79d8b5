/**
 * @module streams/windows/slice-bucket
 * Storage for the slice-major store: one bucket per slice, and the chunks
 * that sealed buckets move into.
 *
 * A bucket fills while its slice is open, in arrays of its own. In a range
 * of more than 64 slices, when its slice enters the range (and will stay
 * there for the range's length), its entries are copied into the current
 * *chunk* — two arrays of 32,768 slots,
 * big enough that V8 allocates them outside the young generation — and its
 * arrays go back to a pool for the next open slice. Why: a long range (24 h
 * of 1 s slices) keeps millions of entries alive; left in small arrays they
 * would be copied by every young-generation collection until promoted, a
 * cost per event that grows with the range. In chunks they are written
 * once and never moved. A chunk is reused once every bucket in it has left.
 * Short ranges skip the copy: their buckets keep their arrays until they
 * leave, and the arrays are then reused.
 *
 * A sealed bucket may still take late entries (events within the allowed
 * lateness, or behind the watermark but inside the range): those go to small
 * arrays of its own, read alongside its chunk segment.
 */
import type { StreamKey } from '../stream-key.js';
import { KeyState } from './slice-store.js';

const CHUNK_SLOTS = 32_768;
/** Pooled bucket arrays: enough for the open slices of a stream a few slices out of order. */
const POOLED_ARRAYS = 64;

/** A key's state in the slice-major store. */
export class BucketKey<Acc> extends KeyState<Acc> {
  total: Acc;
  /** Entries merged into `total` (landmark: 1 once anything was). */
  inRange = 0;
  /** Entries in any bucket, open or in range. */
  entries = 0;
  /** The slice, bucket and index of this key's newest open entry: the per-event fast path. */
  lastSlice = Number.NaN;
  lastBucket: Bucket<Acc> | null = null;
  lastIndex = 0;

  constructor(key: StreamKey, total: Acc) {
    super(key);
    this.total = total;
  }
}

export class Chunk<Acc> {
  readonly states: BucketKey<Acc>[];
  readonly accs: Acc[];
  used = 0;
  /** Entries of buckets still in the range. */
  live = 0;

  constructor(readonly capacity: number) {
    this.states = new Array<BucketKey<Acc>>(capacity);
    this.accs = new Array<Acc>(capacity);
  }
}

export class Bucket<Acc> {
  slice = 0;
  /** Entries in the bucket's own arrays: all of them while open, late ones once sealed. */
  size = 0;
  /** Sealed entries: `[offset, offset + count)` of `chunk`. */
  chunk: Chunk<Acc> | null = null;
  offset = 0;
  count = 0;

  constructor(public states: BucketKey<Acc>[], public accs: Acc[]) {}

  add(state: BucketKey<Acc>, acc: Acc): number {
    const i = this.size;
    if (i < this.states.length) {
      this.states[i] = state;
      this.accs[i] = acc;
    } else {
      this.states.push(state);
      this.accs.push(acc);
    }
    this.size = i + 1;
    state.entries++;
    return i;
  }
}

/** Hands out buckets (with pooled arrays) and seals them into chunks. */
export class BucketStorage<Acc> {
  private readonly arrays: Array<[BucketKey<Acc>[], Acc[]]> = [];
  private current: Chunk<Acc> | null = null;
  private spareChunk: Chunk<Acc> | null = null;

  /** A bucket for `slice`, sized like the last one (`expected` entries) unless pooled arrays are at hand. */
  bucket(slice: number, expected: number): Bucket<Acc> {
    const pooled = this.arrays.pop();
    const bucket = pooled === undefined ? new Bucket<Acc>(new Array(expected), new Array(expected)) : new Bucket<Acc>(pooled[0], pooled[1]);
    bucket.slice = slice;
    return bucket;
  }

  /** The bucket's open entries move to a chunk; its arrays go back to the pool. */
  seal(bucket: Bucket<Acc>): void {
    const size = bucket.size;
    if (size > 0) {
      const chunk = this.room(size);
      const { states, accs } = bucket;
      const offset = chunk.used;
      for (let j = 0; j < size; j++) {
        chunk.states[offset + j] = states[j]!;
        chunk.accs[offset + j] = accs[j]!;
      }
      chunk.used += size;
      chunk.live += size;
      bucket.chunk = chunk;
      bucket.offset = offset;
      bucket.count = size;
    }
    if (this.arrays.length < POOLED_ARRAYS) this.arrays.push([bucket.states, bucket.accs]);
    bucket.states = [];
    bucket.accs = [];
    bucket.size = 0;
  }

  /** The bucket left the range: its chunk slots are free (the chunk is reused once all are). */
  release(bucket: Bucket<Acc>): void {
    const chunk = bucket.chunk;
    if (chunk !== null) {
      chunk.live -= bucket.count;
      if (chunk.live === 0 && chunk !== this.current && chunk.capacity === CHUNK_SLOTS) {
        chunk.used = 0;
        this.spareChunk = chunk;
      }
      bucket.chunk = null;
    } else if (this.arrays.length < POOLED_ARRAYS && bucket.states.length > 0) {
      this.arrays.push([bucket.states, bucket.accs]);
    }
  }

  private room(size: number): Chunk<Acc> {
    if (size > CHUNK_SLOTS) return new Chunk<Acc>(size);
    const current = this.current;
    if (current !== null && current.used + size <= current.capacity) return current;
    if (current !== null && current.live === 0) {
      current.used = 0;
      return current;
    }
    const next = this.spareChunk ?? new Chunk<Acc>(CHUNK_SLOTS);
    this.spareChunk = null;
    this.current = next;
    return next;
  }
}
