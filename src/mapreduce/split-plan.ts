/**
 * @module mapreduce/split-plan
 * Cuts the inputs into byte ranges, one map task each. Pure: it needs only
 * the sizes recorded in the refs, so it runs in the orchestrator (a step's
 * `items` function) and gives the same splits on every replay.
 *
 * An input of S bytes becomes ⌈S / splitBytes⌉ ranges of equal size (give
 * or take a byte), not full ranges and a short tail: equal ranges finish
 * together, so the last map task does not run alone while the other
 * threads idle. The ranges ignore record boundaries; the reader aligns them
 * (see `split-reader.ts`). Empty inputs get no split.
 */
import { MillraceError } from '../core/errors.js';
import type { BlobRef } from '../ports/blob-store.js';

/** One map task's share of the input. */
export interface Split {
  /** Position among all splits of the run (inputs in order, then by offset). */
  index: number;
  /** Position of the input in the process input's `inputs`. */
  input: number;
  ref: BlobRef;
  start: number;
  /** Exclusive. */
  end: number;
}

/** Smallest accepted split size: below it, per-task costs dominate. */
export const MIN_SPLIT_BYTES = 1024;

/**
 * Splits each input into ranges of at most `splitBytes`.
 *
 * @example
 * ```ts
 * planSplits([{ store: 'fs', key: 'a.log', size: 100, sha256 }], 40) // 0–34, 34–67, 67–100
 * ```
 * @throws `CONFIG_INVALID` for a `splitBytes` below {@link MIN_SPLIT_BYTES} or refs without a size
 */
export function planSplits(inputs: readonly BlobRef[], splitBytes: number): Split[] {
  if (!Number.isSafeInteger(splitBytes) || splitBytes < MIN_SPLIT_BYTES) {
    throw new MillraceError('CONFIG_INVALID', `splitBytes must be a whole number ≥ ${MIN_SPLIT_BYTES}, got ${splitBytes}`);
  }
  const splits: Split[] = [];
  inputs.forEach((ref, input) => {
    const size = ref.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new MillraceError('CONFIG_INVALID', `input ${input} ("${ref.key}") has no valid size: ${size}`);
    const count = Math.ceil(size / splitBytes);
    // In BigInt: size × i can pass 2^53 for a large input, and a rounded boundary could repeat a byte or skip one.
    const at = (i: number): number => Number((BigInt(size) * BigInt(i)) / BigInt(count));
    for (let i = 0; i < count; i++) splits.push({ index: splits.length, input, ref, start: at(i), end: at(i + 1) });
  });
  return splits;
}
