/**
 * @module streams/windows/two-stacks
 * Sliding ranges of aggregates that cannot unmerge (min, max, top-k,
 * distinct count): per key, its slices in a ring split into two stacks
 * (Hammer–Hirzel's "two-stacks" sliding aggregation).
 *
 * ```
 *   head        flip            pos              tail
 *    │ front F   │  back B       │  open slices   │
 *    │ (suffix   │  (one running │  (not in any   │
 *    │  aggs)    │   aggregate)  │   range yet)   │
 *    └─────── the range being evaluated ──┘
 * ```
 *
 * B keeps one running aggregate of its slices (`total`); F keeps, for each
 * slice, the aggregate of it and every newer slice in F. The range is F's
 * oldest entry merged with B. Evicting pops F; when F is empty, B's slices
 * become F (one merge each). Each slice is merged a bounded number of
 * times: amortised O(1) merges per slide, never a rescan of the range.
 *
 * A late event into a slice in B adds to B's aggregate; into a slice in F,
 * to the suffix aggregates of that slice and the older ones in F — a cost
 * proportional to its distance from the range's start, paid only by late
 * events. An event on time costs one partial update, whatever the range.
 */
import type { Aggregate } from '../aggregates/aggregate.js';
import type { StreamKey } from '../stream-key.js';
import { SliceRing } from './slice-ring.js';
import type { CloseContext, SliceStore } from './slice-store.js';

export class TwoStackKey<Acc> extends SliceRing<Acc> {
  /** B's aggregate. */
  total: Acc;

  constructor(key: StreamKey, private readonly agg: Aggregate<never, Acc, unknown>) {
    super(key, agg.init());
    this.total = agg.init();
  }

  addOpen(slice: number, value: never): void {
    const last = this.tail - 1;
    if (last >= this.head) {
      const m = last & this.mask;
      const lastSlice = this.idx[m]!;
      if (lastSlice === slice) {
        this.acc[m] = this.agg.add(this.acc[m]!, value);
        return;
      }
      if (lastSlice > slice) {
        this.addAt(slice, value, false);
        return;
      }
    }
    this.reserve();
    const m = this.tail & this.mask;
    this.idx[m] = slice;
    this.acc[m] = this.agg.add(this.agg.init(), value);
    this.tail++;
  }

  /** Adds to `slice`, stored or not; `inRange` says it belongs to the range being evaluated. */
  addAt(slice: number, value: never, inRange: boolean): void {
    const agg = this.agg;
    const p = this.search(slice);
    if (p === this.tail || this.idx[p & this.mask] !== slice) {
      this.insertAt(p, slice, agg.init());
      if (inRange) {
        this.pos++;
        if (p < this.flip) {
          this.flip++;
          // An empty slice's suffix aggregate is the next one's.
          this.front[p & this.mask] = p + 1 < this.flip ? agg.merge(agg.init(), this.front[(p + 1) & this.mask]!) : agg.init();
        }
      }
    }
    const m = p & this.mask;
    this.acc[m] = agg.add(this.acc[m]!, value);
    if (p >= this.pos) return;
    if (p >= this.flip) {
      this.total = agg.add(this.total, value);
    } else {
      for (let j = this.head; j <= p; j++) this.front[j & this.mask] = agg.add(this.front[j & this.mask]!, value);
    }
  }

  /** Pushes the open slices below `end` onto B. */
  insertBelow(end: number): void {
    let pos = this.pos;
    let total = this.total;
    while (pos < this.tail && this.idx[pos & this.mask]! < end) {
      total = this.agg.merge(total, this.acc[pos & this.mask]!);
      pos++;
    }
    this.total = total;
    this.pos = pos;
  }

  hasRange(): boolean {
    return this.head < this.pos;
  }

  /** The range's aggregate; may be internal state: read or copy it, never change it. */
  rangeAggregate(): Acc {
    if (this.head === this.flip) return this.total;
    const oldest = this.front[this.head & this.mask]!;
    if (this.flip === this.pos) return oldest;
    return this.agg.merge(this.agg.merge(this.agg.init(), oldest), this.total);
  }

  /** Pops the slices below `limit` off F, turning B into F when F runs out. */
  evictBelow(limit: number): void {
    let head = this.head;
    while (head < this.pos && this.idx[head & this.mask]! < limit) {
      if (head === this.flip) this.turn();
      head++;
    }
    if (head === this.head) return;
    this.head = head;
    if (head === this.pos) this.total = this.agg.init();
    this.rebaseIfNeeded();
  }

  /** The range ending at `end` as of now (range and open slices below it), fresh; undefined if empty. */
  peek(end: number): Acc | undefined {
    const agg = this.agg;
    let acc = this.hasRange() ? agg.merge(agg.init(), this.rangeAggregate()) : undefined;
    for (let p = this.pos; p < this.tail && this.idx[p & this.mask]! < end; p++) acc = agg.merge(acc ?? agg.init(), this.acc[p & this.mask]!);
    return acc;
  }

  /** B's slices become F, each entry the aggregate of itself and every newer slice of F. */
  private turn(): void {
    const agg = this.agg;
    const mask = this.mask;
    // Each entry is its own object: a late event later adds to some of them, not all.
    let newer: Acc | undefined;
    for (let j = this.pos - 1; j >= this.flip; j--) {
      const entry = agg.merge(agg.init(), this.acc[j & mask]!);
      newer = newer === undefined ? entry : agg.merge(entry, newer);
      this.front[j & mask] = newer;
    }
    this.flip = this.pos;
    this.total = agg.init();
  }
}

export class TwoStacks<In, Acc, Out> implements SliceStore<In, Acc, Out, TwoStackKey<Acc>> {
  private empty = true;

  constructor(private readonly aggregate: Aggregate<In, Acc, Out>) {}

  createKey(key: StreamKey): TwoStackKey<Acc> {
    return new TwoStackKey<Acc>(key, this.aggregate as unknown as Aggregate<never, Acc, unknown>);
  }

  addOpen(state: TwoStackKey<Acc>, slice: number, value: In): void {
    state.addOpen(slice, value as never);
  }

  addInRange(state: TwoStackKey<Acc>, slice: number, value: In): void {
    state.addAt(slice, value as never, true);
    this.empty = false;
  }

  close(end: number, evictLimit: number, context: CloseContext<Acc, Out, TwoStackKey<Acc>>): void {
    const { order, pane, keep, prune, drop } = context;
    const aggregate = this.aggregate;
    let kept = 0;
    let any = false;
    for (let i = 0; i < order.length; i++) {
      const state = order[i]!;
      if (state.dead) continue;
      state.insertBelow(end);
      if (state.hasRange()) {
        const acc = state.rangeAggregate();
        pane.keys.push(state.key);
        pane.values.push(aggregate.result(acc));
        if (keep !== undefined) keep(state, acc);
      }
      state.evictBelow(evictLimit);
      if (state.emitted !== null) prune(state);
      if (state.head === state.tail && state.emitted === null) {
        drop(state);
        continue;
      }
      if (state.hasRange()) any = true;
      order[kept++] = state;
    }
    order.length = kept;
    this.empty = !any;
  }

  peek(end: number, order: readonly TwoStackKey<Acc>[], emit: (state: TwoStackKey<Acc>, acc: Acc) => void): void {
    for (const state of order) {
      const acc = state.peek(end);
      if (acc !== undefined) emit(state, acc);
    }
  }

  rangesEmpty(): boolean {
    return this.empty;
  }

  lowestOpenSlice(states: Iterable<TwoStackKey<Acc>>): number {
    let lowest = Number.POSITIVE_INFINITY;
    for (const state of states) if (state.pos < state.tail) lowest = Math.min(lowest, state.idx[state.pos & state.mask]!);
    return lowest;
  }

  highestSlice(states: Iterable<TwoStackKey<Acc>>): number {
    let highest = Number.NEGATIVE_INFINITY;
    for (const state of states) if (state.tail > state.head) highest = Math.max(highest, state.idx[(state.tail - 1) & state.mask]!);
    return highest;
  }
}
