/**
 * @module streams/runtime/session-task-state
 * A window task's checkpointable state for session windows.
 *
 * Sessions are cut by the data, not the clock, so there are no slices to
 * keep beside the operator: the operator's own sessions are the state.
 * A snapshot is each key's sessions — start, end, the partial of the
 * events merged into it — plus the source partitions' watermarks.
 * Restoring puts the sessions back as open into a fresh operator and
 * replays the watermarks: the sessions that had closed close again (that
 * output was committed before the checkpoint, and is dropped), those past
 * their lateness are dropped, as they were.
 *
 * ```
 *  checkpoint ──▶ fresh operator ──▶ restoreSession(key, { start, end, partial }) for every session held
 *                                  ──▶ advanceWatermark(p, w) / markIdle(p) / end, for every source partition
 *                                  ──▶ output discarded
 * ```
 *
 * Events of one key are grouped between two markers only when their
 * times are equal (`sliceOf` is the time itself): each distinct time can
 * bridge sessions differently.
 */
import { deserialize, serialize } from 'node:v8';
import type { Aggregate } from '../aggregates/aggregate.js';
import type { StreamKey } from '../stream-key.js';
import { SessionWindowOperator, type SavedSession } from '../windows/session-operator.js';
import type { EmitStrategy } from '../windows/window-operator.js';
import type { SessionWindow } from '../windows/window-spec.js';
import { liftAggregate, restoreProgress, type SavedProgress, type TaskWindowState, type WindowTaskCounters } from './window-state.js';

interface Snapshot extends SavedProgress {
  v: 1;
  kind: 'session';
  sessions: Array<[StreamKey, Array<SavedSession<unknown>>]>;
  counters: WindowTaskCounters;
}

export class SessionTaskState<Acc, Out> implements TaskWindowState<Acc, Out> {
  operator: SessionWindowOperator<Acc, Acc, Out>;
  readonly marks = new Map<number, number>();
  readonly idle = new Set<number>();
  readonly ended = new Set<number>();
  counters: WindowTaskCounters = { accepted: 0, updated: 0, late: 0, deadLetters: 0, finalResults: 0, updateResults: 0, earlyResults: 0 };
  private readonly lifted: Aggregate<Acc, Acc, Out>;

  constructor(
    private readonly window: SessionWindow,
    aggregate: Aggregate<unknown, Acc, Out>,
    private readonly sourcePartitions: number,
    private readonly allowedLatenessMs: number,
    private readonly emit: EmitStrategy | undefined,
  ) {
    this.lifted = liftAggregate(aggregate);
    this.operator = this.freshOperator();
  }

  sliceOf(time: number): number {
    return time;
  }

  keep(): void {
    // The operator's sessions are the state.
  }

  evict(): void {
    // The operator drops sessions past their lateness itself.
  }

  snapshot(): Uint8Array {
    const snapshot: Snapshot = {
      v: 1, kind: 'session', sessions: this.operator.sessionsOf() as Snapshot['sessions'],
      marks: [...this.marks], idle: [...this.idle], ended: [...this.ended], counters: this.counters,
    };
    return serialize(snapshot);
  }

  restore(bytes: Uint8Array): void {
    const snapshot = deserialize(bytes) as Snapshot;
    this.operator = this.freshOperator();
    for (const [key, sessions] of snapshot.sessions) for (const session of sessions) this.operator.restoreSession(key, session as SavedSession<Acc>);
    restoreProgress(this, snapshot);
    this.operator.drain();
    this.counters = snapshot.counters;
  }

  private freshOperator(): SessionWindowOperator<Acc, Acc, Out> {
    return new SessionWindowOperator(this.window, this.lifted, Array.from({ length: this.sourcePartitions }, (_, p) => p), this.allowedLatenessMs, this.emit ?? {});
  }
}
