/**
 * @module streams/aggregates/top-k
 * The k most frequent items of a range ("trending"), as a mergeable
 * frequency summary.
 *
 * Each accumulator counts items exactly while it holds at most `capacity`
 * distinct items. Past that it is reduced the Misra–Gries way, in the
 * mergeable form of Agarwal et al. (2012): subtract the (capacity+1)-th
 * largest count from every counter and drop those that reach zero. What
 * that makes approximate, and by how much:
 *
 * - exact while no accumulator that fed the range (a slice, or a merge of
 *   slices) ever held more than `capacity` distinct items;
 * - otherwise a reported count is a lower bound, short of the true count by
 *   at most N / (capacity + 1), N being the number of items in the range; any
 *   item more frequent than that bound is sure to be present.
 *
 * Not invertible (a reduced summary cannot forget a slice), so sliding
 * ranges use two stacks of slice partials. Reduction waits until a summary
 * holds twice `capacity` counters, so its sort is paid once per `capacity`
 * new items (amortised O(log capacity) per add).
 */
import { MillraceError } from '../../core/errors.js';
import { compareKeys, type StreamKey } from '../stream-key.js';
import type { Aggregate } from './aggregate.js';

/** One entry of a top-k result. */
export interface TopKEntry {
  item: StreamKey;
  /** Occurrences in the range: exact, or a lower bound once the summary was reduced (see the module notes). */
  count: number;
}

/** Options of {@link topK}. */
export interface TopKOptions {
  /**
   * Distinct items a summary counts exactly before it is reduced.
   * @defaultValue `Math.max(64, 10 * k)`
   */
  capacity?: number;
}

/**
 * The `k` most frequent items, by count (descending), ties by item order
 * (numbers before strings, as {@link compareKeys}).
 *
 * @example
 * ```ts
 * createWindowOperator({ window: tumbling({ size: 60_000 }), aggregate: topK(3) })
 * // result value: [{ item: '#rust', count: 41 }, { item: '#ts', count: 40 }, ...]
 * ```
 */
export function topK(k: number, options: TopKOptions = {}): Aggregate<StreamKey, Map<StreamKey, number>, TopKEntry[]> {
  if (!Number.isInteger(k) || k < 1) throw new MillraceError('CONFIG_INVALID', `topK: k must be a whole number of at least 1, got ${k}`, { field: 'k' });
  const capacity = options.capacity ?? Math.max(64, 10 * k);
  if (!Number.isInteger(capacity) || capacity < k) {
    throw new MillraceError('CONFIG_INVALID', `topK: capacity must be a whole number of at least k (${k}), got ${capacity}`, { field: 'capacity' });
  }
  const limit = 2 * capacity;
  return {
    name: `top-${k}`,
    init: () => new Map(),
    add: (acc, item) => {
      acc.set(item, (acc.get(item) ?? 0) + 1);
      if (acc.size > limit) reduce(acc, capacity);
      return acc;
    },
    merge: (a, b) => {
      for (const [item, n] of b) a.set(item, (a.get(item) ?? 0) + n);
      if (a.size > limit) reduce(a, capacity);
      return a;
    },
    result: (acc) => {
      const entries: TopKEntry[] = [];
      for (const [item, n] of acc) entries.push({ item, count: n });
      entries.sort((x, y) => y.count - x.count || compareKeys(x.item, y.item));
      return entries.slice(0, k);
    },
  };
}

/** Misra–Gries reduction: take the (capacity+1)-th largest count off every counter; keep the positive ones. */
function reduce(acc: Map<StreamKey, number>, capacity: number): void {
  const counts = [...acc.values()].sort((x, y) => y - x);
  const cut = counts[capacity]!;
  for (const [item, n] of acc) {
    if (n <= cut) acc.delete(item);
    else acc.set(item, n - cut);
  }
}
