/**
 * @module streams/stream-key
 * Keys that group a stream (`keyBy`) and the one order every window result
 * is emitted in. A fixed order over keys is what lets a replay of the log and
 * the live run emit the same sequence of results, whatever order the keys
 * first appeared in.
 */

/** A grouping key: a string, or a finite number. */
export type StreamKey = string | number;

/** True for a string or a finite number; `undefined`, `null`, `NaN` and objects are not keys. */
export function isStreamKey(value: unknown): value is StreamKey {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * The order of keys in every output: numbers before strings, numbers by
 * value, strings by UTF-16 code units (as `<` compares them — no locale, so
 * every process agrees).
 *
 * @example
 * ```ts
 * [10, 'b', 2, 'a'].sort(compareKeys) // [2, 10, 'a', 'b']
 * ```
 */
export function compareKeys(a: StreamKey, b: StreamKey): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a - b;
    return -1;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
