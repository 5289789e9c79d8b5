/**
 * @module streams/windows/session-state
 * One key's sessions, and how an event joins them: the merge step of
 * session windows, kept apart from the operator's timers and output.
 */
import type { Aggregate } from '../aggregates/aggregate.js';
import type { StreamKey } from '../stream-key.js';

/** One session of one key: `[start, end)`, `end` being its last event plus the gap. */
export interface Session<Acc> {
  start: number;
  end: number;
  acc: Acc;
  /** A result was emitted for it (later ones are `update`s). */
  emitted: boolean;
  /** The watermark passed its end and its result is out; kept for the allowed lateness. */
  closed: boolean;
  /** Closed, and changed by a late event since: re-emit at the next hand-back. */
  dirty: boolean;
  /** Open, and changed since the last early result. */
  earlyDirty: boolean;
  closeScheduled: boolean;
  purgeScheduled: boolean;
  /** Merged into another session, or dropped. */
  removed: boolean;
}

/** A key's sessions, sorted by start, never overlapping. */
export interface SessionKey<Acc> {
  readonly key: StreamKey;
  readonly sessions: Session<Acc>[];
  dead: boolean;
}

/**
 * Adds an event at `time` to `state`: into the session(s) `[time, time + gap)`
 * overlaps — merging them if it bridges several — or a new one. Returns
 * `undefined`, changing nothing, if the resulting session would end at or
 * before `lateBefore` (watermark − allowed lateness): the event is late.
 */
export function absorb<In, Acc>(
  state: SessionKey<Acc>, time: number, gap: number, value: In, aggregate: Aggregate<In, Acc, unknown>, lateBefore: number,
): { session: Session<Acc>; wasEmitted: boolean } | undefined {
  const sessions = state.sessions;
  const low = time;
  const high = time + gap;
  let first = -1;
  let last = -1;
  let start = low;
  let end = high;
  let at = sessions.length;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (s.start >= high) {
      at = i;
      break;
    }
    if (low < s.end) {
      if (first < 0) first = i;
      last = i;
      if (s.start < start) start = s.start;
      if (s.end > end) end = s.end;
    }
  }
  if (end <= lateBefore) return undefined;
  if (first < 0) {
    const session: Session<Acc> = {
      start, end, acc: aggregate.add(aggregate.init(), value),
      emitted: false, closed: false, dirty: false, earlyDirty: false, closeScheduled: false, purgeScheduled: false, removed: false,
    };
    sessions.splice(at, 0, session);
    return { session, wasEmitted: false };
  }
  const target = sessions[first]!;
  let wasEmitted = target.emitted;
  for (let i = first + 1; i <= last; i++) {
    const bridged = sessions[i]!;
    target.acc = aggregate.merge(target.acc, bridged.acc);
    wasEmitted ||= bridged.emitted;
    bridged.removed = true;
  }
  sessions.splice(first + 1, last - first);
  target.start = start;
  target.end = end;
  target.acc = aggregate.add(target.acc, value);
  target.emitted = wasEmitted;
  return { session: target, wasEmitted };
}
