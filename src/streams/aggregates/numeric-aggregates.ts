/**
 * @module streams/aggregates/numeric-aggregates
 * The built-in aggregates over numbers: `count`, `sum`, `mean` (invertible:
 * a sliding range adds the slice that enters and unmerges the one that
 * leaves) and `min`, `max` (not invertible: evaluated with two stacks of
 * slice partials).
 *
 * Precision: `count` is exact up to 2^53 events. `sum` and `mean` are exact
 * for integers whose running total stays below 2^53. For fractional values
 * a sliding total that is only ever added to and unmerged from carries the
 * rounding of every slice it has seen — an absolute error of about
 * (slices slid through) × 2^-53 × (largest partial). The window resets the
 * total to `init()` whenever its range runs empty, which clears that error;
 * if a key is never empty for months and needs exact decimals, use integer
 * units (cents) or `min`/`max`-style evaluation by leaving `unmerge` out.
 */
import type { Aggregate } from './aggregate.js';

/** Number of events. Accepts any value; counts each one. */
export const count: Aggregate<unknown, number, number> = {
  name: 'count',
  init: () => 0,
  add: (acc) => acc + 1,
  merge: (a, b) => a + b,
  unmerge: (a, b) => a - b,
  result: (acc) => acc,
};

/** Sum of the values. */
export const sum: Aggregate<number, number, number> = {
  name: 'sum',
  init: () => 0,
  add: (acc, value) => acc + value,
  merge: (a, b) => a + b,
  unmerge: (a, b) => a - b,
  result: (acc) => acc,
};

/** The accumulator of {@link mean}: mutable, owned by one slice or total. */
export interface MeanAccumulator {
  sum: number;
  count: number;
}

/** Arithmetic mean of the values; `NaN` for an empty range (windows do not emit empty ranges). */
export const mean: Aggregate<number, MeanAccumulator, number> = {
  name: 'mean',
  init: () => ({ sum: 0, count: 0 }),
  add: (acc, value) => {
    acc.sum += value;
    acc.count += 1;
    return acc;
  },
  merge: (a, b) => {
    a.sum += b.sum;
    a.count += b.count;
    return a;
  },
  unmerge: (a, b) => {
    a.sum -= b.sum;
    a.count -= b.count;
    return a;
  },
  result: (acc) => (acc.count === 0 ? Number.NaN : acc.sum / acc.count),
};

/** Smallest value; `Infinity` for an empty range. `NaN` values are ignored (they compare false). */
export const min: Aggregate<number, number, number> = {
  name: 'min',
  init: () => Number.POSITIVE_INFINITY,
  add: (acc, value) => (value < acc ? value : acc),
  merge: (a, b) => (b < a ? b : a),
  result: (acc) => acc,
};

/** Largest value; `-Infinity` for an empty range. `NaN` values are ignored (they compare false). */
export const max: Aggregate<number, number, number> = {
  name: 'max',
  init: () => Number.NEGATIVE_INFINITY,
  add: (acc, value) => (value > acc ? value : acc),
  merge: (a, b) => (b > a ? b : a),
  result: (acc) => acc,
};
