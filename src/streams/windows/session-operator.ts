/**
 * @module streams/windows/session-operator
 * The keyed operator for session windows.
 *
 * Per key, sessions are kept sorted and never overlap. An event at `t`
 * stands for the interval `[t, t + gap)`; it joins every session that
 * interval overlaps — and so may bridge two sessions into one, merging
 * their accumulators — or starts a new one. Events exactly `gap` apart are
 * in different sessions (windows are half-open).
 *
 * Closing is driven by a timer heap ordered by (session end, key), so a
 * watermark costs O(sessions it closes · log n), not a scan of every key,
 * and results come out by end and then key. A session's timer is not moved
 * each time an event extends it: when it fires early it is pushed back to
 * the session's current end (at most one live timer per session).
 *
 * Lateness: the event's merged session must end after `watermark −
 * allowedLatenessMs`, or the event goes to the `late` output. A session
 * that closed is kept for the allowed lateness; a late event that changes
 * it makes it emit an `update` — with its new extent if the event moved its
 * bounds. An update replaces every earlier result of that key it overlaps
 * (a key's sessions never overlap, so that is unambiguous).
 */
import type { Aggregate } from '../aggregates/aggregate.js';
import { compareKeys, isStreamKey, type StreamKey } from '../stream-key.js';
import { WatermarkTracker, type PartitionId } from '../time/watermark-tracker.js';
import { MinHeap } from './min-heap.js';
import { absorb, type Session, type SessionKey } from './session-state.js';
import { OutputBuffer, type AddOutcome, type WindowOperatorMetrics, type WindowOutput } from './window-output.js';
import type { EmitStrategy, WindowOperator } from './window-operator.js';
import type { SessionWindow } from './window-spec.js';

/** A session as a checkpoint keeps it (see `sessionsOf`). */
export interface SavedSession<Acc> {
  start: number;
  end: number;
  acc: Acc;
  /** Changed since the last early result. */
  earlyDirty: boolean;
}

interface Timer<Acc> {
  time: number;
  state: SessionKey<Acc>;
  session: Session<Acc>;
  /** Drop the session (its lateness passed), rather than close it. */
  purge: boolean;
}

export class SessionWindowOperator<In, Acc, Out> implements WindowOperator<In, Out> {
  private readonly keys = new Map<StreamKey, SessionKey<Acc>>();
  private readonly out = new OutputBuffer<In, Out>();
  private readonly marks: WatermarkTracker;
  private readonly timers = new MinHeap<Timer<Acc>>((a, b) => a.time - b.time || compareKeys(a.state.key, b.state.key));
  /** Closed sessions changed by late events, to re-emit at the next hand-back. */
  private updates: Array<[SessionKey<Acc>, Session<Acc>]> = [];
  /** Open sessions changed since the last early emission. */
  private changed: Array<[SessionKey<Acc>, Session<Acc>]> = [];
  private lastEarlyWatermark = Number.NEGATIVE_INFINITY;

  constructor(
    readonly window: SessionWindow,
    private readonly aggregate: Aggregate<In, Acc, Out>,
    partitions: readonly PartitionId[],
    private readonly latenessMs: number,
    private readonly emit: EmitStrategy,
  ) {
    this.marks = new WatermarkTracker(partitions);
  }

  get watermark(): number {
    return this.marks.current;
  }

  add(key: StreamKey, time: number, value: In): AddOutcome {
    if (!isStreamKey(key)) return this.out.reject(key, time, value, 'invalid-key');
    if (typeof time !== 'number' || !Number.isFinite(time)) return this.out.reject(key, time, value, 'invalid-time');
    const watermark = this.marks.current;
    const existing = this.keys.get(key);
    const state = existing ?? { key, sessions: [], dead: false };
    const merge = absorb(state, time, this.window.gap, value, this.aggregate, watermark - this.latenessMs);
    if (merge === undefined) return this.out.lateEvent(key, time, value, watermark);
    if (existing === undefined) this.keys.set(key, state);
    const { session, wasEmitted } = merge;
    if (session.end <= watermark) {
      // Already due (within lateness): its result goes out at the next hand-back.
      if (!session.dirty) {
        session.dirty = true;
        this.updates.push([state, session]);
      }
    } else {
      session.closed = false;
      if (!session.closeScheduled) this.schedule(state, session, false);
      if (this.emit.early !== undefined && !session.earlyDirty) {
        session.earlyDirty = true;
        this.changed.push([state, session]);
      }
    }
    if (wasEmitted) {
      this.out.updated++;
      return 'updated';
    }
    this.out.accepted++;
    return 'accepted';
  }

  advanceWatermark(partition: PartitionId, watermark: number): WindowOutput<In, Out> {
    const before = this.marks.current;
    return this.handBack(before, this.marks.advance(partition, watermark));
  }

  markIdle(partition: PartitionId): WindowOutput<In, Out> {
    const before = this.marks.current;
    return this.handBack(before, this.marks.markIdle(partition));
  }

  drain(): WindowOutput<In, Out> {
    this.flushUpdates();
    return this.out.take();
  }

  metrics(): WindowOperatorMetrics {
    const o = this.out;
    return {
      accepted: o.accepted, updated: o.updated, late: o.lateEvents, rejected: o.rejectedEvents,
      watermarkRegressions: this.marks.regressions, finalResults: o.finalResults, earlyResults: o.earlyResults, updateResults: o.updateResults,
      keys: this.keys.size, evictedKeys: o.evictedKeys, watermark: this.marks.current,
    };
  }

  /**
   * Every session held — open, or closed and kept for the allowed lateness —
   * as plain data: what a checkpoint needs to rebuild the operator (with
   * `restoreSession`, then the partitions' watermarks). Accumulators are the
   * operator's own: copy or serialise them, do not change them.
   */
  sessionsOf(): Array<[StreamKey, SavedSession<Acc>[]]> {
    const saved: Array<[StreamKey, SavedSession<Acc>[]]> = [];
    for (const [key, state] of this.keys) {
      saved.push([key, state.sessions.map(({ start, end, acc, earlyDirty }) => ({ start, end, acc, earlyDirty }))]);
    }
    return saved;
  }

  /**
   * Puts a saved session back into a fresh operator, as open: call it for
   * every saved session before any watermark, then replay the partitions'
   * watermarks — the sessions that had closed close again (their output is
   * the one emitted before the checkpoint, to be dropped) and those past
   * their lateness are dropped, as they were. Sessions of a key must not
   * overlap (they never do in what `sessionsOf` returns).
   */
  restoreSession(key: StreamKey, saved: SavedSession<Acc>): void {
    let state = this.keys.get(key);
    if (state === undefined) this.keys.set(key, (state = { key, sessions: [], dead: false }));
    const session: Session<Acc> = {
      start: saved.start, end: saved.end, acc: saved.acc,
      emitted: false, closed: false, dirty: false, earlyDirty: saved.earlyDirty, closeScheduled: false, purgeScheduled: false, removed: false,
    };
    const at = state.sessions.findIndex((s) => s.start > session.start);
    state.sessions.splice(at < 0 ? state.sessions.length : at, 0, session);
    this.schedule(state, session, false);
    if (session.earlyDirty) this.changed.push([state, session]);
  }

  private handBack(before: number, after: number): WindowOutput<In, Out> {
    this.flushUpdates();
    if (after > before) {
      this.close(after);
      const early = this.emit.early;
      if (early !== undefined && after !== Number.POSITIVE_INFINITY && Math.floor(after / early.everyMs) > Math.floor(this.lastEarlyWatermark / early.everyMs)) {
        this.lastEarlyWatermark = after;
        this.emitEarly();
      }
    }
    return this.out.take();
  }

  /** Fires every timer due at `watermark`, in (time, key) order. */
  private close(watermark: number): void {
    for (let timer = this.timers.peek(); timer !== undefined && timer.time <= watermark; timer = this.timers.peek()) {
      this.timers.pop();
      const { state, session } = timer;
      if (session.removed) continue;
      if (timer.purge) {
        session.purgeScheduled = false;
        if (!session.closed) continue;
        if (session.end + this.latenessMs <= watermark) this.drop(state, session);
        else this.schedule(state, session, true);
        continue;
      }
      session.closeScheduled = false;
      if (session.closed) continue;
      if (session.end !== timer.time) {
        // Extended since the timer was set: fire at its real end, in (end, key) order.
        this.schedule(state, session, false);
        continue;
      }
      this.settle(state, session, watermark);
    }
  }

  /** Emits a due session (final, or update if emitted before) and keeps it for the allowed lateness. */
  private settle(state: SessionKey<Acc>, session: Session<Acc>, watermark: number): void {
    this.out.emit(state.key, { start: session.start, end: session.end }, this.aggregate.result(session.acc), session.emitted ? 'update' : 'final');
    session.closed = true;
    session.emitted = true;
    session.dirty = false;
    if (session.end + this.latenessMs <= watermark) this.drop(state, session);
    else if (!session.purgeScheduled) this.schedule(state, session, true);
  }

  private emitEarly(): void {
    const changed = this.changed.filter(([, s]) => !s.removed && !s.closed).sort(([ka, a], [kb, b]) => a.end - b.end || compareKeys(ka.key, kb.key));
    for (const [, session] of this.changed) session.earlyDirty = false;
    this.changed = [];
    for (const [state, session] of changed) this.out.emit(state.key, { start: session.start, end: session.end }, this.aggregate.result(session.acc), 'early');
  }

  private flushUpdates(): void {
    if (this.updates.length === 0) return;
    const updates = this.updates.filter(([, s]) => !s.removed && s.dirty).sort(([ka, a], [kb, b]) => a.end - b.end || compareKeys(ka.key, kb.key));
    this.updates = [];
    for (const [state, session] of updates) this.settle(state, session, this.marks.current);
  }

  /** One live timer per session and kind: a close timer at its end, a purge timer at its end plus the lateness. */
  private schedule(state: SessionKey<Acc>, session: Session<Acc>, purge: boolean): void {
    if (purge) session.purgeScheduled = true;
    else session.closeScheduled = true;
    this.timers.push({ time: purge ? session.end + this.latenessMs : session.end, state, session, purge });
  }

  private drop(state: SessionKey<Acc>, session: Session<Acc>): void {
    session.removed = true;
    const at = state.sessions.indexOf(session);
    if (at >= 0) state.sessions.splice(at, 1);
    if (state.sessions.length === 0 && !state.dead) {
      state.dead = true;
      this.keys.delete(state.key);
      this.out.evictedKeys++;
    }
  }
}
