/**
 * @module streams/runtime/window-state
 * A window task's checkpointable state, kept beside the core operator.
 *
 * The core operator (`createWindowOperator`) is pure and fast but has no
 * snapshot of its internal stores. The runtime keeps, next to it, the
 * logical state those stores hold — per key and slice, the partial
 * aggregate of the events accepted — plus each source partition's
 * watermark. That is enough to rebuild an equivalent operator:
 *
 * ```
 *  checkpoint ──▶ fresh operator ──▶ add(key, sliceStart, partial) for every kept partial
 *                                  ──▶ advanceWatermark(p, w) for every source partition
 *                                  ──▶ output discarded: it was committed before the checkpoint
 * ```
 *
 * The operator is fed **partials**, not events: its aggregate is the user's
 * lifted to partials (`add = merge`), and the task combines the events of
 * one key and slice between two watermarks into one partial first (the
 * operator's outcome — accepted, updated, late — depends only on the slice
 * and the watermark, so it is the same for each of them).
 *
 * A slice's partial is dropped once no range or update can need it; a
 * landmark window's old slices fold into one. The cost: the partials are
 * held twice (here and in the operator).
 */
import { deserialize, serialize } from 'node:v8';
import type { Aggregate } from '../aggregates/aggregate.js';
import type { StreamKey } from '../stream-key.js';
import { createWindowOperator } from '../windows/create-window-operator.js';
import type { EmitStrategy, WindowOperator } from '../windows/window-operator.js';
import { planSlices, type LandmarkWindow, type SlicePlan, type SlidingWindow, type TumblingWindow } from '../windows/window-spec.js';

/** What a window task counts; kept in its checkpoint. */
export interface WindowTaskCounters {
  accepted: number;
  updated: number;
  late: number;
  deadLetters: number;
  finalResults: number;
  updateResults: number;
  earlyResults: number;
}

/** The user's aggregate over partials: each value added is an accumulator. */
export function liftAggregate<Acc, Out>(aggregate: Aggregate<unknown, Acc, Out>): Aggregate<Acc, Acc, Out> {
  const unmerge = aggregate.unmerge;
  return {
    name: `${aggregate.name}(partials)`,
    init: () => aggregate.init(),
    add: (acc, partial) => aggregate.merge(acc, partial),
    merge: (a, b) => aggregate.merge(a, b),
    ...(unmerge === undefined ? {} : { unmerge: (a: Acc, b: Acc) => unmerge.call(aggregate, a, b) }),
    result: (acc) => aggregate.result(acc),
  };
}

interface Snapshot extends SavedProgress {
  v: 1;
  partials: Array<[StreamKey, Array<[number, unknown]>]>;
  counters: WindowTaskCounters;
}

/**
 * What a window task needs of its state, whatever the window: the
 * operator, the source partitions' watermarks, its counters, and a
 * snapshot that rebuilds an equivalent operator. `sliceOf` groups the
 * events between two markers (events of one key and group are added as
 * one partial); `keep` and `evict` track what the snapshot must hold.
 */
export interface TaskWindowState<Acc, Out> {
  readonly operator: WindowOperator<Acc, Out>;
  readonly marks: Map<number, number>;
  readonly idle: Set<number>;
  readonly ended: Set<number>;
  counters: WindowTaskCounters;
  sliceOf(time: number): number;
  keep(key: StreamKey, slice: number, partial: Acc): void;
  evict(watermark: number): void;
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
}

/** The source partitions' progress as a snapshot holds it. */
export interface SavedProgress {
  marks: Array<[number, number]>;
  idle: number[];
  ended: number[];
}

/** Puts saved progress back into a task's state and replays it into its operator (before the operator drains). */
export function restoreProgress(state: Pick<TaskWindowState<unknown, unknown>, 'marks' | 'idle' | 'ended'> & { operator: { advanceWatermark(partition: number, mark: number): unknown; markIdle(partition: number): unknown } }, saved: SavedProgress): void {
  for (const [partition, mark] of saved.marks) {
    state.marks.set(partition, mark);
    state.operator.advanceWatermark(partition, mark);
  }
  for (const partition of saved.idle) {
    state.idle.add(partition);
    state.operator.markIdle(partition);
  }
  for (const partition of saved.ended) {
    state.ended.add(partition);
    state.operator.advanceWatermark(partition, Number.POSITIVE_INFINITY);
  }
}

/** The operator and the state that rebuilds it. */
export class WindowState<Acc, Out> implements TaskWindowState<Acc, Out> {
  operator: WindowOperator<Acc, Out>;
  /** Per key, per slice index: the partial of the events accepted there. */
  readonly partials = new Map<StreamKey, Map<number, Acc>>();
  /** Per source partition: its last watermark. */
  readonly marks = new Map<number, number>();
  readonly idle = new Set<number>();
  readonly ended = new Set<number>();
  counters: WindowTaskCounters = { accepted: 0, updated: 0, late: 0, deadLetters: 0, finalResults: 0, updateResults: 0, earlyResults: 0 };
  readonly plan: SlicePlan;
  private readonly lifted: Aggregate<Acc, Acc, Out>;

  constructor(
    private readonly window: TumblingWindow | SlidingWindow | LandmarkWindow,
    private readonly aggregate: Aggregate<unknown, Acc, Out>,
    private readonly sourcePartitions: number,
    private readonly allowedLatenessMs: number,
    private readonly emit: EmitStrategy | undefined,
  ) {
    this.plan = planSlices(window);
    this.lifted = liftAggregate(aggregate);
    this.operator = this.freshOperator();
  }

  sliceOf(time: number): number {
    return Math.floor((time - this.plan.origin) / this.plan.sliceMs);
  }

  sliceStart(slice: number): number {
    return this.plan.origin + slice * this.plan.sliceMs;
  }

  /** Records a partial the operator accepted (or took as an update). */
  keep(key: StreamKey, slice: number, partial: Acc): void {
    let slices = this.partials.get(key);
    if (slices === undefined) this.partials.set(key, (slices = new Map()));
    const held = slices.get(slice);
    slices.set(slice, this.aggregate.merge(held ?? this.aggregate.init(), partial));
  }

  /** Drops (or, for landmarks, folds) the partials no range or update can need once the watermark is `watermark`. */
  evict(watermark: number): void {
    if (!Number.isFinite(watermark)) return;
    const { sliceMs, rangeMs } = this.plan;
    const span = Number.isFinite(rangeMs) ? rangeMs : sliceMs;
    // Slices before `dead` are in no range that is open or can still be updated.
    const dead = this.sliceOf(watermark - this.allowedLatenessMs - span) - 1;
    for (const [key, slices] of this.partials) {
      let folded: Acc | undefined;
      for (const [slice, partial] of slices) {
        if (slice >= dead) continue;
        slices.delete(slice);
        if (this.window.kind === 'landmark') folded = this.aggregate.merge(folded ?? this.aggregate.init(), partial);
      }
      if (folded !== undefined) slices.set(dead - 1, this.aggregate.merge(slices.get(dead - 1) ?? this.aggregate.init(), folded));
      if (slices.size === 0) this.partials.delete(key);
    }
  }

  snapshot(): Uint8Array {
    const snapshot: Snapshot = {
      v: 1,
      partials: [...this.partials].map(([key, slices]) => [key, [...slices]]),
      marks: [...this.marks],
      idle: [...this.idle],
      ended: [...this.ended],
      counters: this.counters,
    };
    return serialize(snapshot);
  }

  /** Rebuilds the operator from a snapshot; the output that rebuilding produces is dropped (it was committed before). */
  restore(bytes: Uint8Array): void {
    const snapshot = deserialize(bytes) as Snapshot;
    this.operator = this.freshOperator();
    this.partials.clear();
    for (const [key, slices] of snapshot.partials) {
      const map = new Map<number, Acc>();
      for (const [slice, partial] of slices) {
        map.set(slice, partial as Acc);
        this.operator.add(key, this.sliceStart(slice), this.aggregate.merge(this.aggregate.init(), partial as Acc));
      }
      this.partials.set(key, map);
    }
    restoreProgress(this, snapshot);
    this.operator.drain();
    this.counters = snapshot.counters;
  }

  private freshOperator(): WindowOperator<Acc, Out> {
    return createWindowOperator({
      window: this.window,
      aggregate: this.lifted,
      partitions: Array.from({ length: this.sourcePartitions }, (_, p) => p),
      allowedLatenessMs: this.allowedLatenessMs,
      ...(this.emit === undefined ? {} : { emit: this.emit }),
    });
  }
}
