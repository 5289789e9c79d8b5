/**
 * @module streams/windows/slicing-lateness
 * Events behind the frontier, for the slicing operator.
 *
 * An event in slice `s` belongs to the ranges ending in `(s, s + range]`.
 * Once ranges are emitted, each stays open to changes until the watermark
 * passes its end plus the allowed lateness. So a late event:
 *
 * ```
 *   ranges it belongs to          what happens
 *   ─────────────────────────     ───────────────────────────────────────────────
 *   some not emitted yet          added to its slice partial (and to the range
 *                                 being evaluated, if the slice is in it): 'accepted'
 *   some emitted, within          added to each such range's kept aggregate; an
 *   lateness                      'update' result per range at the next hand-back
 *   all emitted and past          the 'late' output, counted; nothing changes
 *   lateness
 * ```
 *
 * The *horizon* is the oldest slice still in a future or updatable range;
 * below it an event is late. Emitted ranges are kept (an own copy of their
 * aggregate) only when the lateness is above 0, and only while they can
 * change — about lateness ÷ slide of them per key. With lateness 0 this
 * module costs nothing: no copies, no updates.
 *
 * Updates are coalesced: however many late events change a range, it is
 * re-emitted once per hand-back, ordered by range end and then key.
 */
import type { Aggregate } from '../aggregates/aggregate.js';
import { compareKeys } from '../stream-key.js';
import type { EmittedRange, KeyState, SliceStore } from './slice-store.js';
import type { OutputBuffer, WindowBounds } from './window-output.js';
import type { SlicePlan } from './window-spec.js';

interface PendingUpdate<Acc> {
  state: KeyState<Acc>;
  range: EmittedRange<Acc>;
}

export class LateSlices<In, Acc, Out, S extends KeyState<Acc>> {
  /** Smallest range end (slices) still within the allowed lateness. */
  private aliveFrom = Number.NEGATIVE_INFINITY;
  /** Slices below this are past lateness. */
  private horizon = Number.NEGATIVE_INFINITY;
  private frontier = Number.NEGATIVE_INFINITY;
  private pending: PendingUpdate<Acc>[] = [];

  constructor(
    private readonly plan: SlicePlan,
    private readonly aggregate: Aggregate<In, Acc, Out>,
    private readonly store: SliceStore<In, Acc, Out, S>,
    private readonly latenessMs: number,
    private readonly out: OutputBuffer<In, Out>,
  ) {}

  /** Before ranges are closed at `watermark`: which emitted ranges stay open to updates. */
  startClose(watermark: number): void {
    const { sliceMs, origin, slideSlices } = this.plan;
    const first = Math.floor((watermark - this.latenessMs - origin) / sliceMs) + 1;
    this.aliveFrom = Math.ceil(first / slideSlices) * slideSlices;
  }

  /** After closing: the new frontier, and the horizon below which events are late. */
  endClose(frontier: number): void {
    this.frontier = frontier;
    const { rangeSlices, slideSlices } = this.plan;
    if (frontier === Number.POSITIVE_INFINITY) this.horizon = frontier;
    else if (rangeSlices === Number.POSITIVE_INFINITY || frontier === Number.NEGATIVE_INFINITY) this.horizon = Number.NEGATIVE_INFINITY;
    else {
      const nextStart = frontier + slideSlices - rangeSlices;
      this.horizon = this.aliveFrom <= frontier ? Math.min(nextStart, this.aliveFrom - rangeSlices) : nextStart;
    }
  }

  /** True if a range ending at `endMs`, just emitted, can still change. */
  keepsEmitted(endMs: number, watermark: number): boolean {
    return this.latenessMs > 0 && endMs + this.latenessMs > watermark;
  }

  /** Keeps an own copy of an emitted range's aggregate, for updates. */
  keep(state: S, end: number, acc: Acc): void {
    const copy = this.aggregate.merge(this.aggregate.init(), acc);
    (state.emitted ??= []).push({ end, acc: copy, dirty: false });
  }

  /** Forgets emitted ranges past their lateness (a bound function: stores call it back). */
  readonly prune = (state: S): void => {
    const emitted = state.emitted!;
    while (emitted.length > 0 && emitted[0]!.end < this.aliveFrom) emitted.shift();
    if (emitted.length === 0) state.emitted = null;
  };

  isPastLateness(slice: number): boolean {
    return slice < this.horizon;
  }

  /** Adds an event to a slice below the frontier. `'late'` means nothing was changed: the caller reports it. */
  add(state: S, slice: number, value: In): 'accepted' | 'updated' | 'late' {
    if (slice < this.horizon) return 'late';
    const { rangeSlices, slideSlices } = this.plan;
    // Still in the range being evaluated (so in future ranges too): into its partial and the range.
    if (slice >= this.frontier + slideSlices - rangeSlices) this.store.addInRange(state, slice, value);
    if (this.latenessMs > 0 && this.updateEmitted(state, slice, value)) {
      this.out.updated++;
      return 'updated';
    }
    this.out.accepted++;
    return 'accepted';
  }

  /** Emits one `update` per changed range, by end and then key. */
  flushUpdates(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending.sort((a, b) => a.range.end - b.range.end || compareKeys(a.state.key, b.state.key));
    this.pending = [];
    const { sliceMs, origin, rangeMs } = this.plan;
    let window: WindowBounds | undefined;
    for (const { state, range } of pending) {
      const end = range.end * sliceMs + origin;
      // One pane per range end: consecutive updates of one range share their bounds object.
      if (window?.end !== end) window = { start: rangeMs === Number.POSITIVE_INFINITY ? origin : end - rangeMs, end };
      range.dirty = false;
      this.out.emit(state.key, window, this.aggregate.result(range.acc), 'update');
    }
  }

  /** Adds the event to every emitted range that holds its slice and is within lateness; true if there was one. */
  private updateEmitted(state: S, slice: number, value: In): boolean {
    const { rangeSlices, slideSlices } = this.plan;
    let end = Math.max(this.aliveFrom, (Math.floor(slice / slideSlices) + 1) * slideSlices);
    const last = Math.min(this.frontier, Math.floor((slice + rangeSlices) / slideSlices) * slideSlices);
    if (end > last) return false;
    const emitted = (state.emitted ??= []);
    for (; end <= last; end += slideSlices) {
      const range = this.rangeAt(emitted, end);
      range.acc = this.aggregate.add(range.acc, value);
      if (!range.dirty) {
        range.dirty = true;
        this.pending.push({ state, range });
      }
    }
    return true;
  }

  /** The kept range ending at `end`; a new, empty one if the key had nothing there when it was emitted. */
  private rangeAt(emitted: EmittedRange<Acc>[], end: number): EmittedRange<Acc> {
    let lo = 0;
    let hi = emitted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (emitted[mid]!.end < end) lo = mid + 1;
      else hi = mid;
    }
    const found = emitted[lo];
    if (found !== undefined && found.end === end) return found;
    const range: EmittedRange<Acc> = { end, acc: this.aggregate.init(), dirty: false };
    emitted.splice(lo, 0, range);
    return range;
  }
}
