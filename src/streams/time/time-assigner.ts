/**
 * @module streams/time/time-assigner
 * Where an event's time comes from. Window operators take the time as an
 * argument and never read a clock; a time assigner is how the caller gets
 * it, from the event (event time) or from the clock value it was handed
 * (processing time).
 *
 * - **Event time** is when the thing happened, read from the event. Results
 *   are the same whenever and however often the log is replayed; the cost is
 *   waiting for the watermark, and handling events that arrive late.
 * - **Processing time** is when the operator saw the event: the `now` the
 *   runtime passes in (from its injected `Clock`). No waiting and no lateness
 *   (the watermark is `now` too), but a replay gives different windows.
 */
import { MillraceError } from '../../core/errors.js';

/** Gives an event its time: from the event, or from `now`, the caller's clock reading. */
export interface TimeAssigner<E> {
  readonly domain: 'event' | 'processing';
  /** The event's field the time is read from, when it is one: named when an event has no usable time. */
  readonly field?: string;
  /** The event's time in ms; `NaN` when it has none (the operator then rejects it with a reason). */
  timeOf(event: E, now: number): number;
}

/**
 * Event time read from a numeric field (ms since the epoch), or computed by a function.
 * A missing or non-numeric field gives `NaN`, which the operator rejects with the reason.
 *
 * @example
 * ```ts
 * const time = eventTime<Click>('at')
 * operator.add(click.user, time.timeOf(click, clock.now()), click)
 * eventTime((e: Order) => Date.parse(e.placedAt))
 * ```
 */
export function eventTime<E>(source: keyof E & string | ((event: E) => number)): TimeAssigner<E> {
  if (typeof source === 'function') {
    return { domain: 'event', timeOf: (event) => source(event) };
  }
  if (typeof source !== 'string' || source.length === 0) {
    throw new MillraceError('CONFIG_INVALID', 'eventTime needs a field name or a function that returns the time in ms', { field: 'time' });
  }
  return {
    domain: 'event',
    field: source,
    // Events come from a log anyone may append to: a null or a number has no field, and no time.
    timeOf: (event) => {
      const value = typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[source] : undefined;
      return typeof value === 'number' ? value : Number.NaN;
    },
  };
}

/**
 * Processing time: the `now` the caller read from its `Clock` when the
 * event arrived. Advance the operator's watermark with the same clock
 * readings.
 *
 * @example
 * ```ts
 * const time = processingTime()
 * operator.add(key, time.timeOf(event, clock.now()), event)
 * operator.advanceWatermark(0, clock.now())
 * ```
 */
export function processingTime(): TimeAssigner<unknown> {
  return { domain: 'processing', timeOf: (_event, now) => now };
}
