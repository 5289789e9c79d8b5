/**
 * @module streams/windows/window-spec
 * Window definitions, and how each is cut into slices.
 *
 * A **slice** is the unit aggregated: one accumulator per key and slice. A
 * **range** is what one result covers, a whole number of slices; ranges end
 * every `slide`. Windows are half-open, `[start, end)`: an event at exactly
 * `end` belongs to the next range.
 *
 * ```
 *  sliding({ range: 4 s, slide: 2 s })  →  slice = gcd(4 s, 2 s) = 2 s
 *
 *  time   0    2    4    6    8   10
 *  slices |-s0-|-s1-|-s2-|-s3-|-s4-|
 *  ranges [ s0 + s1 )                 end 4  = s0 ⊕ s1
 *              [ s1 + s2 )            end 6  = s1 ⊕ s2     (s0 leaves: unmerge, or two stacks)
 *                   [ s2 + s3 )       end 8
 * ```
 *
 * Tumbling is a sliding window whose range equals its slide; landmark grows
 * from a fixed start and reports every `slide`; sessions are cut by gaps in
 * each key's events, not by the clock, so they have no slices.
 */
import { MillraceError } from '../../core/errors.js';

/** Fixed, non-overlapping ranges of `size` ms. */
export interface TumblingWindow {
  readonly kind: 'tumbling';
  readonly size: number;
  readonly offset: number;
}

/** Ranges of `range` ms ending every `slide` ms, built from slices of `slice` ms. */
export interface SlidingWindow {
  readonly kind: 'sliding';
  readonly range: number;
  readonly slide: number;
  readonly slice: number;
  readonly offset: number;
}

/** Everything since `start`, reported every `slide` ms. */
export interface LandmarkWindow {
  readonly kind: 'landmark';
  readonly start: number;
  readonly slide: number;
}

/** Per key, runs of events less than `gap` ms apart; a session ends `gap` ms after its last event. */
export interface SessionWindow {
  readonly kind: 'session';
  readonly gap: number;
}

export type WindowSpec = TumblingWindow | SlidingWindow | LandmarkWindow | SessionWindow;

/**
 * Jumping (tumbling) windows: `[0, size)`, `[size, 2·size)`, … shifted by `offset`.
 *
 * @example
 * ```ts
 * tumbling({ size: 60_000 })                       // each minute
 * tumbling({ size: 86_400_000, offset: -3_600_000 }) // days starting at 23:00 UTC
 * ```
 */
export function tumbling(options: { size: number; /** @defaultValue 0 */ offset?: number }): TumblingWindow {
  const size = duration('tumbling', 'size', options.size);
  return { kind: 'tumbling', size, offset: offsetOf('tumbling', options.offset, size) };
}

/**
 * Sliding (hopping) windows: a result for `[end − range, end)` at every
 * `end` that is a multiple of `slide` (plus `offset`).
 *
 * The slice defaults to gcd(range, slide), the largest that both are
 * multiples of. Give `slice` to choose it; it must divide both. The slide
 * may not exceed the range (events between ranges would belong to none).
 *
 * @example
 * ```ts
 * sliding({ range: 60_000, slide: 1_000 })          // last minute, every second
 * sliding({ range: 10_000, slide: 3_000 })          // slices of 1 s (gcd)
 * sliding({ range: 10_000, slide: 3_000, slice: 3_000 }) // rejected: 10000 is not a multiple of 3000
 * ```
 */
export function sliding(options: { range: number; slide: number; /** @defaultValue gcd(range, slide) */ slice?: number; /** @defaultValue 0 */ offset?: number }): SlidingWindow {
  const range = duration('sliding', 'range', options.range);
  const slide = duration('sliding', 'slide', options.slide);
  if (slide > range) {
    throw new MillraceError('CONFIG_INVALID', `sliding window: slide ${slide} ms is longer than range ${range} ms, so events between two ranges would belong to none; use a slide of at most ${range} ms`, { field: 'slide', range, slide });
  }
  const slice = options.slice === undefined ? gcd(range, slide) : duration('sliding', 'slice', options.slice);
  if (range % slice !== 0) {
    throw new MillraceError('CONFIG_INVALID', `sliding window: range ${range} ms is not a multiple of its slice ${slice} ms; ranges are built from whole slices (choose a slice that divides ${range}, or leave it out to use gcd(range, slide) = ${gcd(range, slide)} ms)`, { field: 'range', range, slice });
  }
  if (slide % slice !== 0) {
    throw new MillraceError('CONFIG_INVALID', `sliding window: slide ${slide} ms is not a multiple of its slice ${slice} ms; ranges end on slice boundaries (choose a slice that divides ${slide}, or leave it out to use gcd(range, slide) = ${gcd(range, slide)} ms)`, { field: 'slide', slide, slice });
  }
  return { kind: 'sliding', range, slide, slice, offset: offsetOf('sliding', options.offset, slide) };
}

/**
 * A landmark window: one range from `start` to the present, reported
 * every `slide` ms (`[start, start + slide)`, `[start, start + 2·slide)`, …).
 * Events before `start` belong to no range and are rejected with that reason.
 *
 * @example
 * ```ts
 * landmark({ start: Date.parse('2025-01-01T00:00:00Z'), slide: 3_600_000 }) // year to date, hourly
 * ```
 */
export function landmark(options: { start: number; slide: number }): LandmarkWindow {
  if (!Number.isSafeInteger(options.start)) {
    throw new MillraceError('CONFIG_INVALID', `landmark window: start must be a whole number of milliseconds, got ${options.start}`, { field: 'start' });
  }
  return { kind: 'landmark', start: options.start, slide: duration('landmark', 'slide', options.slide) };
}

/**
 * Session windows: per key, a session is a run of events each less than
 * `gap` ms after the previous; it covers `[first event, last event + gap)`
 * and closes once the watermark passes its end.
 *
 * @example
 * ```ts
 * session({ gap: 30 * 60_000 }) // a visit ends after 30 idle minutes
 * ```
 */
export function session(options: { gap: number }): SessionWindow {
  return { kind: 'session', gap: duration('session', 'gap', options.gap) };
}

/** How a slicing window (tumbling, sliding, landmark) is cut, in whole slices. */
export interface SlicePlan {
  /** Slice length, ms. */
  readonly sliceMs: number;
  /** Slice `i` covers `[origin + i·sliceMs, origin + (i+1)·sliceMs)`. */
  readonly origin: number;
  /** Slices per range; `Infinity` for landmark windows. */
  readonly rangeSlices: number;
  /** Slices per slide: ranges end at slice indexes that are multiples of it. */
  readonly slideSlices: number;
  /** Range length, ms (`Infinity` for landmark: each range starts at `origin`). */
  readonly rangeMs: number;
}

/** The slice plan of a tumbling, sliding or landmark window. */
export function planSlices(window: TumblingWindow | SlidingWindow | LandmarkWindow): SlicePlan {
  switch (window.kind) {
    case 'tumbling':
      return { sliceMs: window.size, origin: window.offset, rangeSlices: 1, slideSlices: 1, rangeMs: window.size };
    case 'sliding':
      return { sliceMs: window.slice, origin: window.offset, rangeSlices: window.range / window.slice, slideSlices: window.slide / window.slice, rangeMs: window.range };
    case 'landmark':
      return { sliceMs: window.slide, origin: window.start, rangeSlices: Number.POSITIVE_INFINITY, slideSlices: 1, rangeMs: Number.POSITIVE_INFINITY };
  }
}

/** Greatest common divisor of two positive integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function duration(kind: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new MillraceError('CONFIG_INVALID', `${kind} window: ${field} must be a positive whole number of milliseconds, got ${String(value)}`, { field });
  }
  return value;
}

/** Offsets are kept in [0, period): a shift by a whole period names the same boundaries. */
function offsetOf(kind: string, value: number | undefined, period: number): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value)) throw new MillraceError('CONFIG_INVALID', `${kind} window: offset must be a whole number of milliseconds, got ${value}`, { field: 'offset' });
  return ((value % period) + period) % period;
}
