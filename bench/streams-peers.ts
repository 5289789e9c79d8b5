/**
 * @module bench/streams-peers
 * The two rows of the `streams` benchmark that are not Millrace: the
 * hand-written loop (the limit) and the RxJS pipeline (the peer). Each
 * computes the same thing as the Millrace row — per key, for every range
 * end e ≤ end of input, the number of events in [e − range, e), when that
 * number is above 0 — and returns a checksum (results, sum of counts) that
 * must match the others'.
 */
import { from, groupBy, mergeMap, scan, endWith } from 'rxjs';

/** One materialised event: what every row reads. */
export interface BenchEvent {
  key: string;
  time: number;
}

/** Results emitted and the sum of their counts: equal across rows, or a row is wrong. */
export interface Checksum {
  results: number;
  total: number;
}

export const SLICE_MS = 1_000;

/**
 * The limit: a tight loop with nothing general about it. Keys get dense
 * indexes on first sight (one `Map` lookup per event, as any keyed loop
 * over string keys needs); counts live in slice-major rows (one row of
 * `keyCount` counters per slice, so closing a slice walks one contiguous
 * row), with a running sum per key. Rows are allocated as the stream
 * reaches them and reused once their slice leaves the range, so a 24 h
 * range costs only the rows it has reached. Events must be in time order
 * (they are).
 */
export function handLoop(events: readonly BenchEvent[], count: number, rangeSlices: number, endMs: number, keyCount: number): Checksum {
  const index = new Map<string, number>();
  const rows: number[][] = [];
  const sums = new Float64Array(keyCount);
  let keys = 0;
  let current = 0;
  let results = 0;
  let total = 0;
  rows[0] = new Array<number>(keyCount).fill(0);
  const closeThrough = (slice: number): void => {
    while (current < slice) {
      // The range ending at current + 1 is complete: emit it, then drop the slice that leaves.
      const leaving = current + 1 - rangeSlices;
      const slot = (current + 1) % rangeSlices;
      const row = leaving >= 0 ? rows[slot]! : undefined;
      for (let k = 0; k < keys; k++) {
        const sum = sums[k]!;
        if (sum > 0) {
          results++;
          total += sum;
        }
        if (row !== undefined) {
          sums[k] = sum - row[k]!;
          row[k] = 0;
        }
      }
      if (row === undefined) rows[slot] = new Array<number>(keyCount).fill(0);
      current++;
    }
  };
  for (let i = 0; i < count; i++) {
    const event = events[i]!;
    const slice = Math.floor(event.time / SLICE_MS);
    if (slice > current) closeThrough(slice);
    let k = index.get(event.key);
    if (k === undefined) {
      k = keys++;
      index.set(event.key, k);
    }
    rows[slice % rangeSlices]![k]!++;
    sums[k]!++;
  }
  closeThrough(Math.floor(endMs / SLICE_MS));
  return { results, total };
}

interface KeyWindow {
  /** Non-empty slices in the range, oldest first: [slice, count] pairs. */
  slices: number[];
  head: number;
  sum: number;
  /** The key's open slice: ranges ending at or before it are emitted. */
  current: number;
  /** Counts of the ranges the last event closed, for `mergeMap` to flatten. */
  closed: number[];
}

/**
 * The peer: an idiomatic RxJS pipeline. `groupBy` key, and per group a
 * `scan` holding the key's slice counts and running sum; an event in a
 * later slice closes the ranges ending up to its slice, which `mergeMap`
 * flattens into the output. `endWith` a marker at the end of input closes
 * the rest. Event time, so RxJS's time-based operators (`windowTime`,
 * `bufferTime`: wall-clock schedulers) do not apply.
 */
export function rxjsPipeline(events: readonly BenchEvent[], count: number, rangeSlices: number, endMs: number): Checksum {
  const end: BenchEvent = { key: '', time: endMs };
  const checksum: Checksum = { results: 0, total: 0 };
  from(events.slice(0, count))
    .pipe(
      groupBy((event) => event.key),
      mergeMap((group) => group.pipe(
        endWith(end),
        scan((state: KeyWindow, event: BenchEvent) => slideTo(state, event, rangeSlices), { slices: [], head: 0, sum: 0, current: 0, closed: [] }),
        mergeMap((state) => state.closed),
      )),
    )
    .subscribe((n) => {
      checksum.results++;
      checksum.total += n;
    });
  return checksum;
}

function slideTo(state: KeyWindow, event: BenchEvent, rangeSlices: number): KeyWindow {
  const slice = Math.floor(event.time / SLICE_MS);
  const closed: number[] = [];
  for (let e = state.current + 1; e <= slice; e++) {
    // Range [e − range, e): drop slices that left it, emit the rest.
    while (state.head < state.slices.length && state.slices[state.head]! < e - rangeSlices) {
      state.sum -= state.slices[state.head + 1]!;
      state.head += 2;
    }
    if (state.sum > 0) closed.push(state.sum);
  }
  if (state.head > 1024 && state.head * 2 > state.slices.length) {
    state.slices = state.slices.slice(state.head);
    state.head = 0;
  }
  if (slice > state.current) state.current = slice;
  if (event.key !== '') {
    const last = state.slices.length - 2;
    if (last >= state.head && state.slices[last] === slice) state.slices[last + 1]!++;
    else state.slices.push(slice, 1);
    state.sum++;
  }
  // Mutated in place: mergeMap reads `closed` before the next event reaches scan.
  state.closed = closed;
  return state;
}
