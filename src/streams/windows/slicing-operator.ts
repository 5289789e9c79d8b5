/**
 * @module streams/windows/slicing-operator
 * The keyed operator for tumbling, sliding and landmark windows.
 *
 * ```
 *  add(key, t, v) ──▶ slice = ⌊(t − origin) / slice⌋ ──▶ the key's partial for that slice   (O(1), any range length)
 *
 *  advanceWatermark ──▶ for each range end e the watermark passed, in order:
 *                        move open slices below e into the range, emit every key's
 *                        result (key order), evict the slices the next range drops
 * ```
 *
 * Slice partials live in a store (see `slice-store.ts`): slice-major
 * buckets when the aggregate can unmerge (or ranges do not overlap, or the
 * window is a landmark), per-key two stacks otherwise.
 *
 * The *frontier* is the last range end closed, in slices. An event in a
 * slice at or above it is on time: one partial update. Below it, it is late:
 * see `slicing-lateness.ts`. Stretches with no data are skipped, not walked:
 * when no key has anything in range, the next range closed is the first
 * that holds an open slice. A watermark of `Infinity` (input ended) closes
 * every range that holds data; after it every event is late.
 */
import type { Aggregate } from '../aggregates/aggregate.js';
import { compareKeys, isStreamKey, type StreamKey } from '../stream-key.js';
import { WatermarkTracker, type PartitionId } from '../time/watermark-tracker.js';
import { LateSlices } from './slicing-lateness.js';
import type { CloseContext, KeyState, SliceStore } from './slice-store.js';
import { OutputBuffer, type AddOutcome, type WindowBounds, type WindowOperatorMetrics, type WindowOutput } from './window-output.js';
import type { EmitStrategy, WindowOperator } from './window-operator.js';
import { planSlices, type LandmarkWindow, type SlicePlan, type SlidingWindow, type TumblingWindow } from './window-spec.js';

export class SlicingWindowOperator<In, Acc, Out, S extends KeyState<Acc>> implements WindowOperator<In, Out> {
  private readonly keys = new Map<StreamKey, S>();
  /** Live key states in key order: results come out in this order. */
  private order: S[] = [];
  /** Keys created since the last close, merged into `order` before the next. */
  private fresh: S[] = [];
  private readonly out = new OutputBuffer<In, Out>();
  private readonly marks: WatermarkTracker;
  private readonly plan: SlicePlan;
  private readonly origin: number;
  private readonly sliceMs: number;
  private readonly minSlice: number;
  private readonly lateness: LateSlices<In, Acc, Out, S>;
  /** Last range end closed, in slices (−∞: none yet; +∞: input ended). */
  private frontier = Number.NEGATIVE_INFINITY;
  /** Slices from here on are open: max(frontier, first slice of a landmark). */
  private openFrom: number;
  private lastEarlyWatermark = Number.NEGATIVE_INFINITY;
  /** Early results are on: keys remember whether they changed since their last one. */
  private readonly tracksChanges: boolean;
  private readonly dropKey = (state: S): void => {
    state.dead = true;
    this.keys.delete(state.key);
    this.out.evictedKeys++;
  };

  constructor(
    readonly window: TumblingWindow | SlidingWindow | LandmarkWindow,
    private readonly aggregate: Aggregate<In, Acc, Out>,
    private readonly store: SliceStore<In, Acc, Out, S>,
    partitions: readonly PartitionId[],
    allowedLatenessMs: number,
    private readonly emit: EmitStrategy,
  ) {
    this.plan = planSlices(window);
    this.origin = this.plan.origin;
    this.sliceMs = this.plan.sliceMs;
    this.minSlice = window.kind === 'landmark' ? 0 : Number.NEGATIVE_INFINITY;
    this.openFrom = this.minSlice;
    this.tracksChanges = emit.early !== undefined;
    this.marks = new WatermarkTracker(partitions);
    this.lateness = new LateSlices(this.plan, aggregate, store, allowedLatenessMs, this.out);
  }

  get watermark(): number {
    return this.marks.current;
  }

  add(key: StreamKey, time: number, value: In): AddOutcome {
    const slice = Math.floor((time - this.origin) / this.sliceMs);
    const state = this.keys.get(key);
    // The path nearly every event takes, kept small so callers can inline it.
    if (state !== undefined && slice >= this.openFrom && slice - slice === 0 && typeof time === 'number') {
      this.store.addOpen(state, slice, value);
      if (this.tracksChanges) state.earlyEnd = Number.NaN;
      this.out.accepted++;
      return 'accepted';
    }
    return this.addOther(key, time, value, slice, state);
  }

  advanceWatermark(partition: PartitionId, watermark: number): WindowOutput<In, Out> {
    const before = this.marks.current;
    return this.handBack(before, this.marks.advance(partition, watermark));
  }

  markIdle(partition: PartitionId): WindowOutput<In, Out> {
    const before = this.marks.current;
    return this.handBack(before, this.marks.markIdle(partition));
  }

  drain(): WindowOutput<In, Out> {
    this.lateness.flushUpdates();
    return this.out.take();
  }

  metrics(): WindowOperatorMetrics {
    const o = this.out;
    return {
      accepted: o.accepted, updated: o.updated, late: o.lateEvents, rejected: o.rejectedEvents,
      watermarkRegressions: this.marks.regressions, finalResults: o.finalResults, earlyResults: o.earlyResults, updateResults: o.updateResults,
      keys: this.keys.size, evictedKeys: o.evictedKeys, watermark: this.marks.current,
    };
  }

  private handBack(before: number, after: number): WindowOutput<In, Out> {
    this.lateness.flushUpdates();
    if (after > before) this.close(after);
    return this.out.take();
  }

  /** Everything but an on-time event for a known key: rejects, new keys, late events. */
  private addOther(key: StreamKey, time: number, value: In, slice: number, existing: S | undefined): AddOutcome {
    if (typeof time !== 'number' || !(slice - slice === 0)) {
      return this.out.reject(key, time, value, isStreamKey(key) ? 'invalid-time' : 'invalid-key');
    }
    if (!isStreamKey(key)) return this.out.reject(key, time, value, 'invalid-key');
    if (slice < this.minSlice) return this.out.reject(key, time, value, 'before-landmark');
    if (slice >= this.frontier) {
      const state = existing ?? this.createKey(key);
      this.store.addOpen(state, slice, value);
      state.earlyEnd = Number.NaN;
      this.out.accepted++;
      return 'accepted';
    }
    if (existing === undefined && this.lateness.isPastLateness(slice)) return this.out.lateEvent(key, time, value, this.marks.current);
    const state = existing ?? this.createKey(key);
    const outcome = this.lateness.add(state, slice, value);
    if (outcome === 'late') return this.out.lateEvent(key, time, value, this.marks.current);
    state.earlyEnd = Number.NaN;
    return outcome;
  }

  private createKey(key: StreamKey): S {
    const state = this.store.createKey(key);
    this.keys.set(key, state);
    this.fresh.push(state);
    return state;
  }

  /** Closes every range the watermark passed, then emits early results if due. */
  private close(watermark: number): void {
    if (this.frontier === Number.POSITIVE_INFINITY) return;
    const { slideSlices: slide } = this.plan;
    let last = Math.floor(Math.floor((watermark - this.origin) / this.sliceMs) / slide) * slide;
    const ended = last === Number.POSITIVE_INFINITY;
    if (ended) last = this.lastEndWithData();
    this.lateness.startClose(watermark);
    let end = this.frontier + slide;
    while (end <= last) {
      if (this.store.rangesEmpty()) {
        const lowest = this.store.lowestOpenSlice(this.keys.values());
        if (lowest === Number.POSITIVE_INFINITY) break;
        const first = (Math.floor(lowest / slide) + 1) * slide;
        if (first > end) end = first;
        if (end > last) break;
      }
      this.closeRange(end, watermark);
      this.frontier = end;
      end += slide;
    }
    // Ranges skipped above held nothing, and every open slice lies at or past `last`.
    this.frontier = ended ? Number.POSITIVE_INFINITY : Math.max(this.frontier, last);
    this.openFrom = Math.max(this.frontier, this.minSlice);
    this.lateness.endClose(this.frontier);
    if (this.emit.early !== undefined && !ended) this.emitEarly(watermark, this.emit.early.everyMs);
  }

  private closeRange(end: number, watermark: number): void {
    if (this.fresh.length > 0) this.mergeFresh();
    const pane = this.out.pane(this.bounds(end), 'final');
    const lateness = this.lateness;
    const keep = lateness.keepsEmitted(pane.window.end, watermark) ? (state: S, acc: Acc): void => lateness.keep(state, end, acc) : undefined;
    const context: CloseContext<Acc, Out, S> = { order: this.order, pane, keep, prune: lateness.prune, drop: this.dropKey };
    this.store.close(end, end + this.plan.slideSlices - this.plan.rangeSlices, context);
  }

  /** Early results for the range that closes next, for keys changed since their last early result. */
  private emitEarly(watermark: number, everyMs: number): void {
    if (Math.floor(watermark / everyMs) <= Math.floor(this.lastEarlyWatermark / everyMs)) return;
    this.lastEarlyWatermark = watermark;
    const slide = this.plan.slideSlices;
    let end = this.frontier + slide;
    if (this.frontier === Number.NEGATIVE_INFINITY) {
      const lowest = this.store.lowestOpenSlice(this.keys.values());
      if (lowest === Number.POSITIVE_INFINITY) return;
      end = (Math.floor(lowest / slide) + 1) * slide;
    }
    if (this.fresh.length > 0) this.mergeFresh();
    const pane = this.out.pane(this.bounds(end), 'early');
    this.store.peek(end, this.order, (state, acc) => {
      if (state.dead || state.earlyEnd === end) return;
      state.earlyEnd = end;
      pane.keys.push(state.key);
      pane.values.push(this.aggregate.result(acc));
    });
  }

  private bounds(end: number): WindowBounds {
    const endMs = end * this.sliceMs + this.origin;
    return { start: this.plan.rangeMs === Number.POSITIVE_INFINITY ? this.origin : endMs - this.plan.rangeMs, end: endMs };
  }

  private mergeFresh(): void {
    const fresh = this.fresh.filter((state) => !state.dead).sort((a, b) => compareKeys(a.key, b.key));
    this.fresh = [];
    const merged: S[] = [];
    const order = this.order;
    let i = 0;
    let j = 0;
    while (i < order.length && j < fresh.length) merged.push(compareKeys(order[i]!.key, fresh[j]!.key) <= 0 ? order[i++]! : fresh[j++]!);
    while (i < order.length) merged.push(order[i++]!);
    while (j < fresh.length) merged.push(fresh[j++]!);
    this.order = merged;
  }

  /** The last range end whose range holds a stored slice (for the final close). */
  private lastEndWithData(): number {
    const highest = this.store.highestSlice(this.keys.values());
    if (highest === Number.NEGATIVE_INFINITY) return highest;
    const { rangeSlices, slideSlices } = this.plan;
    if (rangeSlices === Number.POSITIVE_INFINITY) return (Math.floor(highest / slideSlices) + 1) * slideSlices;
    return Math.floor((highest + rangeSlices) / slideSlices) * slideSlices;
  }
}
