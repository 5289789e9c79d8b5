/**
 * @module streams/windows/window-output
 * What a window operator hands back: results, late events and rejected
 * events, as plain data, plus the counters that say what happened to every
 * event. Nothing is dropped silently: every event `add` is given ends up
 * counted as accepted, updated, late or rejected, and the late and rejected
 * ones are handed back whole.
 */
import type { StreamKey } from '../stream-key.js';

/**
 * Why a result was emitted.
 * - `final`: the watermark passed the range's end; emitted once per range and key.
 * - `early`: the range is still open (emit strategy `early`); a later result replaces it.
 * - `update`: an event within the allowed lateness changed a range already emitted; it replaces the earlier result.
 */
export type ResultKind = 'final' | 'early' | 'update';

/**
 * The span a result covers, `[start, end)` in ms. One object per range,
 * shared by every key's result for that range.
 */
export interface WindowBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * Results for one range and kind, as two parallel columns: `values[i]` is
 * the aggregate of `keys[i]`'s events in `window`; keys are in key order.
 *
 * Columns rather than one object per result because at one result per event
 * (a per-key sliding window) a result object costs as much as the rest of
 * the operator; flatten with `resultsOf` where objects are wanted.
 */
export interface WindowPane<Out> {
  window: WindowBounds;
  kind: ResultKind;
  keys: StreamKey[];
  values: Out[];
}

/** One result as an object (see `resultsOf`). */
export interface WindowResult<Out> {
  key: StreamKey;
  start: number;
  end: number;
  value: Out;
  kind: ResultKind;
}

/** An event that arrived after every range it belongs to was closed and past its allowed lateness. */
export interface LateEvent<In> {
  key: StreamKey;
  time: number;
  value: In;
  /** The operator's watermark when it arrived. */
  watermark: number;
}

/** Why an event could not be placed in any window. */
export type RejectReason = 'invalid-key' | 'invalid-time' | 'before-landmark';

/** An event the operator could not place: a missing or malformed key or time, or a time before a landmark's start. */
export interface RejectedEvent<In> {
  key: unknown;
  time: unknown;
  value: In;
  reason: RejectReason;
  /** The same in words, for logs. */
  message: string;
}

/**
 * Everything emitted since the last hand-back. Panes are ordered by window
 * end (updates, then finals, then early results); keys within a pane by
 * `compareKeys`.
 */
export interface WindowOutput<In, Out> {
  panes: WindowPane<Out>[];
  late: LateEvent<In>[];
  rejected: RejectedEvent<In>[];
}

/**
 * The results of `output` as one object each, in output order.
 *
 * @example
 * ```ts
 * for (const { key, start, end, value } of resultsOf(operator.advanceWatermark(0, now))) sink.write(key, start, end, value)
 * ```
 */
export function resultsOf<Out>(output: { panes: readonly WindowPane<Out>[] }): WindowResult<Out>[] {
  const results: WindowResult<Out>[] = [];
  for (const { window, kind, keys, values } of output.panes) {
    for (let i = 0; i < keys.length; i++) results.push({ key: keys[i]!, start: window.start, end: window.end, value: values[i]!, kind });
  }
  return results;
}

/**
 * What `add` did with one event.
 * - `accepted`: it went into a range not emitted yet.
 * - `updated`: it changed a range already emitted, within the allowed lateness (an `update` result follows).
 * - `late`: every range it belongs to is past its allowed lateness; it is in the `late` output.
 * - `rejected`: no key, no usable time, or before a landmark's start; it is in the `rejected` output.
 */
export type AddOutcome = 'accepted' | 'updated' | 'late' | 'rejected';

/** Counters since the operator was created. */
export interface WindowOperatorMetrics {
  /** Events that went into a range not emitted yet. */
  accepted: number;
  /** Events within the allowed lateness that changed a range already emitted. */
  updated: number;
  /** Events past the allowed lateness, handed back in `late`. */
  late: number;
  /** Events with no key or time (or before a landmark), handed back in `rejected`. */
  rejected: number;
  /** Watermarks older than their partition's last one: ignored, and counted here. */
  watermarkRegressions: number;
  finalResults: number;
  earlyResults: number;
  updateResults: number;
  /** Keys holding state now. */
  keys: number;
  /** Keys whose state emptied and was dropped. */
  evictedKeys: number;
  /** The operator's watermark: the minimum over active partitions (`-Infinity` before all have reported). */
  watermark: number;
}

/** The output collected between two hand-backs, and the counters. Shared by both operators. */
export class OutputBuffer<In, Out> {
  panes: WindowPane<Out>[] = [];
  late: LateEvent<In>[] = [];
  rejected: RejectedEvent<In>[] = [];
  accepted = 0;
  updated = 0;
  finalResults = 0;
  earlyResults = 0;
  updateResults = 0;
  evictedKeys = 0;
  lateEvents = 0;
  rejectedEvents = 0;

  /** A new, empty pane at the end of the output, for the caller to fill in key order. */
  pane(window: WindowBounds, kind: ResultKind): WindowPane<Out> {
    const pane: WindowPane<Out> = { window, kind, keys: [], values: [] };
    this.panes.push(pane);
    return pane;
  }

  /** Appends one result: to the last pane if it is for the same window object and kind, else to a new pane. */
  emit(key: StreamKey, window: WindowBounds, value: Out, kind: ResultKind): void {
    const last = this.panes[this.panes.length - 1];
    const pane = last !== undefined && last.window === window && last.kind === kind ? last : this.pane(window, kind);
    pane.keys.push(key);
    pane.values.push(value);
  }

  reject(key: unknown, time: unknown, value: In, reason: RejectReason): 'rejected' {
    const message = reason === 'invalid-key'
      ? `key must be a string or a finite number, got ${describe(key)}`
      : reason === 'invalid-time'
        ? `time must be a finite number of milliseconds, got ${describe(time)}`
        : `time ${String(time)} is before the landmark's start`;
    this.rejected.push({ key, time, value, reason, message });
    this.rejectedEvents++;
    return 'rejected';
  }

  lateEvent(key: StreamKey, time: number, value: In, watermark: number): 'late' {
    this.late.push({ key, time, value, watermark });
    this.lateEvents++;
    return 'late';
  }

  /** Hands back what was collected (empty panes left out) and starts afresh. */
  take(): WindowOutput<In, Out> {
    const panes: WindowPane<Out>[] = [];
    for (const pane of this.panes) {
      const n = pane.keys.length;
      if (n === 0) continue;
      panes.push(pane);
      if (pane.kind === 'final') this.finalResults += n;
      else if (pane.kind === 'early') this.earlyResults += n;
      else this.updateResults += n;
    }
    const output = { panes, late: this.late, rejected: this.rejected };
    this.panes = [];
    this.late = [];
    this.rejected = [];
    return output;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value);
  return typeof value;
}
