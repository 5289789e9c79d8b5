// Seeded randomness and small helpers shared by the streams tests, so every
// property test replays the same cases on every run and machine.
import type { Aggregate } from '../../../src/streams/aggregates/aggregate.js';

/** A seeded PRNG with a uniform float in [0, 1) (the engine's own). */
export { seededRandom as prng } from '../../../src/core/seeded-random.js';


/** A whole number in [low, high]. */
export function intIn(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

/** Folds `values` into a fresh accumulator, the way a single slice would. */
export function fold<In, Acc, Out>(aggregate: Aggregate<In, Acc, Out>, values: readonly In[]): Acc {
  let acc = aggregate.init();
  for (const value of values) acc = aggregate.add(acc, value);
  return acc;
}

/** Equal results, allowing float rounding for numbers (relative 1e-9). */
export function sameResult(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
    if (actual === expected) return true;
    return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}
