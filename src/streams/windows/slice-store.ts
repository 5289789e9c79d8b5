/**
 * @module streams/windows/slice-store
 * Where the slicing operator keeps slice partials, and how it evaluates
 * ranges from them. Two stores, chosen by what the aggregate allows:
 *
 * | store          | when                                                      | layout |
 * | -------------- | --------------------------------------------------------- | ------ |
 * | `SliceBuckets` | `unmerge` given; or ranges that do not overlap (tumbling); or landmark | slice-major: one bucket of (key, partial) per slice, a running total per key |
 * | `TwoStacks`    | sliding ranges of an aggregate without `unmerge` (min, max, top-k, distinct) | key-major: per key a ring of its slices, evaluated with two stacks |
 *
 * The buckets are the fast path: an event appends to (or updates) its
 * slice's bucket; closing a range walks the bucket entering it and the one
 * leaving it, each a contiguous array, and reads one total per key. That is
 * the memory pattern of a hand-written loop. Two stacks need each key's
 * slices in order, so they keep them per key.
 */
import type { StreamKey } from '../stream-key.js';
import type { WindowPane } from './window-output.js';

/** A range already emitted that may still change (within the allowed lateness), with its own copy of the aggregate. */
export interface EmittedRange<Acc> {
  readonly end: number;
  acc: Acc;
  /** Changed since its last emission: an `update` result is pending. */
  dirty: boolean;
}

/** What the operator keeps per key whatever the store. */
export class KeyState<Acc> {
  /** Dropped from the operator; a new state is made if the key returns. */
  dead = false;
  /** Emitted ranges still within the allowed lateness, oldest first (null when there are none). */
  emitted: EmittedRange<Acc>[] | null = null;
  /** The range end of the last early result; NaN (equal to nothing) after a change. */
  earlyEnd = Number.NaN;

  constructor(readonly key: StreamKey) {}
}

/** What closing a range needs from the operator. */
export interface CloseContext<Acc, Out, S extends KeyState<Acc>> {
  /** Live keys in key order; the store compacts it (drops dead ones) as it walks it. */
  order: S[];
  /** Where results go, in `order`'s order. */
  pane: WindowPane<Out>;
  /** Called for each result while emitted ranges are kept for updates. */
  keep: ((state: S, acc: Acc) => void) | undefined;
  /** Forgets a key's emitted ranges past their lateness. */
  prune: (state: S) => void;
  /** Drops a key whose state is empty. */
  drop: (state: S) => void;
}

export interface SliceStore<In, Acc, Out, S extends KeyState<Acc>> {
  createKey(key: StreamKey): S;
  /** An event into an open slice (at or past the frontier). */
  addOpen(state: S, slice: number, value: In): void;
  /** A late event into a slice already in the range being evaluated (below the frontier, within the next range). */
  addInRange(state: S, slice: number, value: In): void;
  /** Closes the range ending at `end`: moves open slices below it in, emits, evicts slices below `evictLimit`. */
  close(end: number, evictLimit: number, context: CloseContext<Acc, Out, S>): void;
  /** Calls `emit` in `order`'s order with each key's aggregate of the range ending at `end` as of now (fresh accumulators). */
  peek(end: number, order: readonly S[], emit: (state: S, acc: Acc) => void): void;
  /** No key has anything in the range being evaluated. */
  rangesEmpty(): boolean;
  /** The oldest open slice (+∞ if none); `states` are all live keys, for stores that keep slices per key. */
  lowestOpenSlice(states: Iterable<S>): number;
  /** The newest stored slice, open or in the range (−∞ if none). */
  highestSlice(states: Iterable<S>): number;
}
