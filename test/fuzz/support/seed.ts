/**
 * The seed of a fuzz run: `MILLRACE_FAULT_SEED` when set (to replay a
 * failure), otherwise the test's default. Printed, so a failing run says
 * how to repeat it.
 */
import { seededRandom } from '../../../src/core/seeded-random.js';

export interface FuzzRandom {
  seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** A whole number in [low, high]. */
  int(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
}

export function fuzzRandom(name: string, defaultSeed: number): FuzzRandom {
  const raw = process.env.MILLRACE_FAULT_SEED;
  const seed = raw === undefined || raw === '' ? defaultSeed : Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`MILLRACE_FAULT_SEED must be a whole number, got "${raw}"`);
  console.log(`# ${name}: seed ${seed} (replay with MILLRACE_FAULT_SEED=${seed})`);
  const next = seededRandom(seed);
  const int = (low: number, high: number): number => low + Math.floor(next() * (high - low + 1));
  return { seed, next, int, pick: (items) => items[int(0, items.length - 1)]! };
}
