/**
 * @module streams/windows/slice-buckets
 * The slice-major store: per slice, a bucket of (key, partial) entries; per
 * key, the total of the range being evaluated.
 *
 * ```
 *  buckets (by slice)      head ─┬─ in the range ─┬─ inserted ── open ──▶
 *                                │ s−2  s−1       │ s   s+1
 *  key state               total = ⊕ its in-range partials, inRange = how many
 * ```
 *
 * - An event for a key's newest slice updates its entry in place; a new
 *   slice appends an entry to that slice's bucket (usually the last one).
 * - Closing range `end`: the open buckets below `end` are merged into the
 *   keys' totals, every key with something in range emits its total, and the
 *   buckets leaving before the next range are unmerged out of the totals.
 *   Each step walks contiguous arrays; the cost per slice is its entries.
 * - Modes: `invertible` (unmerge on eviction: any sliding range),
 *   `reset` (no unmerge: ranges do not overlap, so everything in range
 *   leaves at once and the total restarts from `init()`), `landmark`
 *   (nothing ever leaves: buckets are merged and dropped at once).
 * - A total whose range runs empty restarts from `init()`, so rounding of a
 *   float sum does not outlive the data that produced it.
 * - A key is dropped when it has no entry left and no emitted range kept
 *   for updates (never in landmark mode: its total is its state, and in
 *   landmark mode `inRange` only says whether the total holds anything).
 * - `lastSlice` may name a bucket since recycled; that is harmless, because
 *   it is then below the frontier and `addOpen` only sees slices at or above.
 *
 * Late events into a slice in range add to the total and append an entry
 * (so they leave with their slice); a key may then have two entries for one
 * slice, which is harmless for an invertible aggregate.
 */
import type { Aggregate } from '../aggregates/aggregate.js';
import type { StreamKey } from '../stream-key.js';
import { BucketStorage, BucketKey, type Bucket } from './slice-bucket.js';
import type { CloseContext, SliceStore } from './slice-store.js';

export type BucketMode = 'invertible' | 'reset' | 'landmark';

/**
 * Ranges of up to this many slices keep each bucket's own arrays until it
 * leaves (and then reuse them): copying into a chunk would cost more than
 * it saves. Longer ranges keep entries alive across many young-generation
 * collections, so their buckets are sealed into chunks.
 */
const SEAL_ABOVE_SLICES = 64;

export class SliceBuckets<In, Acc, Out> implements SliceStore<In, Acc, Out, BucketKey<Acc>> {
  /** Live buckets from `head`, sorted by slice; `[head, inserted)` are in the range, the rest open. */
  private buckets: Bucket<Acc>[] = [];
  private head = 0;
  private inserted = 0;
  private readonly storage = new BucketStorage<Acc>();
  private rangeEntries = 0;

  /** Move entries that enter the range into chunks (see slice-bucket.ts): only for ranges long enough to outlive young collections. */
  private readonly seals: boolean;

  constructor(private readonly aggregate: Aggregate<In, Acc, Out>, private readonly mode: BucketMode, rangeSlices = 1) {
    this.seals = mode === 'invertible' && rangeSlices > SEAL_ABOVE_SLICES;
  }

  createKey(key: StreamKey): BucketKey<Acc> {
    return new BucketKey<Acc>(key, this.aggregate.init());
  }

  addOpen(state: BucketKey<Acc>, slice: number, value: In): void {
    const agg = this.aggregate;
    if (state.lastSlice === slice) {
      const bucket = state.lastBucket!;
      bucket.accs[state.lastIndex] = agg.add(bucket.accs[state.lastIndex]!, value);
      return;
    }
    const buckets = this.buckets;
    const last = buckets[buckets.length - 1];
    const bucket = last !== undefined && last.slice === slice && buckets.length > this.inserted ? last : this.openBucket(slice);
    state.lastIndex = bucket.add(state, agg.add(agg.init(), value));
    state.lastSlice = slice;
    state.lastBucket = bucket;
  }

  addInRange(state: BucketKey<Acc>, slice: number, value: In): void {
    const agg = this.aggregate;
    state.total = agg.add(state.total, value);
    if (this.mode === 'landmark') {
      if (state.inRange === 0) this.countInRange(state, 1);
      return;
    }
    // An entry of its own in the slice's bucket, so the event leaves the range with its slice.
    const at = this.search(slice, this.head, this.inserted);
    if (at === this.inserted || this.buckets[at]!.slice !== slice) {
      this.buckets.splice(at, 0, this.storage.bucket(slice, 1));
      this.inserted++;
    }
    this.buckets[at]!.add(state, agg.add(agg.init(), value));
    this.countInRange(state, 1);
  }

  close(end: number, evictLimit: number, context: CloseContext<Acc, Out, BucketKey<Acc>>): void {
    const agg = this.aggregate;
    const buckets = this.buckets;
    // Open buckets below `end` enter the range.
    const landmark = this.mode === 'landmark';
    let b = this.inserted;
    for (; b < buckets.length && buckets[b]!.slice < end; b++) {
      const bucket = buckets[b]!;
      const { states, accs, size } = bucket;
      for (let j = 0; j < size; j++) {
        const state = states[j]!;
        state.total = agg.merge(state.total, accs[j]!);
        if (!landmark) state.inRange++;
        else if (state.inRange === 0) this.countInRange(state, 1);
      }
      if (!landmark) this.rangeEntries += size;
      // Entries that stay in range past this close move out of the young generation (see slice-bucket.ts).
      if (this.seals) this.storage.seal(bucket);
    }
    this.inserted = b;
    if (landmark) this.dropInserted();

    // Every key with something in range emits, in key order.
    const { order, pane, keep, prune, drop } = context;
    // Sized up front: growing two arrays by push would allocate about twice what they end up holding.
    const keys = new Array<StreamKey>(order.length);
    const values = new Array<Out>(order.length);
    let n = 0;
    let kept = 0;
    for (let i = 0; i < order.length; i++) {
      const state = order[i]!;
      if (state.dead) continue;
      if (state.inRange > 0) {
        keys[n] = state.key;
        values[n++] = agg.result(state.total);
        if (keep !== undefined) keep(state, state.total);
      }
      if (state.emitted !== null) prune(state);
      if (state.entries === 0 && state.inRange === 0 && state.emitted === null) {
        drop(state);
        continue;
      }
      order[kept++] = state;
    }
    order.length = kept;
    keys.length = n;
    values.length = n;
    pane.keys = keys;
    pane.values = values;

    if (this.mode !== 'landmark') this.evictBelow(evictLimit, context);
  }

  peek(end: number, order: readonly BucketKey<Acc>[], emit: (state: BucketKey<Acc>, acc: Acc) => void): void {
    const agg = this.aggregate;
    const next = new Map<BucketKey<Acc>, Acc>();
    for (let b = this.inserted; b < this.buckets.length && this.buckets[b]!.slice < end; b++) {
      const { states, accs, size } = this.buckets[b]!;
      for (let j = 0; j < size; j++) {
        const state = states[j]!;
        next.set(state, agg.merge(next.get(state) ?? this.copyTotal(state), accs[j]!));
      }
    }
    for (const state of order) {
      const acc = next.get(state) ?? (state.inRange > 0 ? this.copyTotal(state) : undefined);
      if (acc !== undefined) emit(state, acc);
    }
  }

  rangesEmpty(): boolean {
    return this.rangeEntries === 0;
  }

  lowestOpenSlice(): number {
    return this.inserted < this.buckets.length ? this.buckets[this.inserted]!.slice : Number.POSITIVE_INFINITY;
  }

  highestSlice(): number {
    return this.head < this.buckets.length ? this.buckets[this.buckets.length - 1]!.slice : Number.NEGATIVE_INFINITY;
  }

  /** Buckets below `limit` leave the range: unmerged (or, in reset mode, the totals restart). */
  private evictBelow(limit: number, context: CloseContext<Acc, Out, BucketKey<Acc>>): void {
    let head = this.head;
    while (head < this.inserted && this.buckets[head]!.slice < limit) {
      const bucket = this.buckets[head]!;
      if (bucket.chunk !== null) this.evictEntries(bucket.chunk.states, bucket.chunk.accs, bucket.offset, bucket.offset + bucket.count, context);
      this.evictEntries(bucket.states, bucket.accs, 0, bucket.size, context);
      this.storage.release(bucket);
      head++;
    }
    this.head = head;
    this.compact();
  }

  private evictEntries(states: BucketKey<Acc>[], accs: Acc[], from: number, to: number, context: CloseContext<Acc, Out, BucketKey<Acc>>): void {
    const agg = this.aggregate;
    const invertible = this.mode === 'invertible';
    for (let j = from; j < to; j++) {
      const state = states[j]!;
      if (invertible) state.total = agg.unmerge!(state.total, accs[j]!);
      state.entries--;
      if (--state.inRange === 0) {
        state.total = agg.init();
        if (state.entries === 0 && state.emitted === null && !state.dead) context.drop(state);
      }
    }
    this.rangeEntries -= to - from;
  }

  /** Landmark: merged buckets are not needed again (nothing leaves a landmark range). */
  private dropInserted(): void {
    for (let b = this.head; b < this.inserted; b++) {
      const bucket = this.buckets[b]!;
      for (let j = 0; j < bucket.size; j++) bucket.states[j]!.entries--;
      this.storage.release(bucket);
    }
    this.head = this.inserted;
    this.compact();
  }

  private countInRange(state: BucketKey<Acc>, delta: number): void {
    state.inRange += delta;
    this.rangeEntries += delta;
  }

  /** The open bucket for `slice`, made if needed (usually the last one, or a new last one). */
  private openBucket(slice: number): Bucket<Acc> {
    const buckets = this.buckets;
    const last = buckets.length - 1;
    if (last >= this.inserted) {
      const lastSlice = buckets[last]!.slice;
      if (lastSlice === slice) return buckets[last]!;
      if (lastSlice > slice) {
        const at = this.search(slice, this.inserted, buckets.length);
        if (buckets[at]!.slice === slice) return buckets[at]!;
        const bucket = this.fresh(slice);
        buckets.splice(at, 0, bucket);
        return bucket;
      }
    }
    const bucket = this.fresh(slice);
    buckets.push(bucket);
    return bucket;
  }

  /** First index in [from, to) whose bucket's slice is ≥ `slice`. */
  private search(slice: number, from: number, to: number): number {
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buckets[mid]!.slice < slice) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private fresh(slice: number): Bucket<Acc> {
    const last = this.buckets[this.buckets.length - 1];
    return this.storage.bucket(slice, last === undefined ? 16 : last.size + (last.size >>> 3) + 1);
  }

  private copyTotal(state: BucketKey<Acc>): Acc {
    return this.aggregate.merge(this.aggregate.init(), state.total);
  }

  /** Drops evicted buckets from the front once they are most of the array (amortised O(1)). */
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.buckets.length) {
      this.buckets.splice(0, this.head);
      this.inserted -= this.head;
      this.head = 0;
    }
  }
}
