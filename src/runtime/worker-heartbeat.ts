/**
 * @module runtime/worker-heartbeat
 * What a worker says about itself every few seconds, and how readers turn
 * those beats into the list of workers (pure: no I/O, time passed in).
 *
 * A worker is **up** while its beats keep coming; once it has been silent
 * for {@link MISSED_BEATS} of its own intervals it is **gone** (crashed,
 * cut off, or stopped without a word). A worker that stops cleanly sends a
 * last beat saying so and is **stopped** at once.
 */

/** One heartbeat, as recorded on the `millrace.workers` topic. */
export interface WorkerBeat {
  /** Unique per running worker (a process may run several: tasks and queries). */
  id: string;
  host: string;
  pid: number;
  tags: string[];
  /** Kinds of work: the task types it serves (`query-strip` for query workers). */
  kinds: string[];
  /** Queues it consumes. */
  queues: string[];
  threads: number;
  /** Tasks in flight at once, per queue. */
  concurrency: number;
  inFlight: number;
  /** Tasks handed to it in-process by the orchestrator it shares a process with, waiting for a run slot (in no queue's depth). Absent from older workers. */
  waiting?: number;
  done: number;
  failed: number;
  startedAt: number;
  /** When this beat was sent. */
  beatAt: number;
  /** The worker's beat interval: readers judge silence by it. */
  intervalMs: number;
  /** Set on the last beat of a worker that stopped cleanly. */
  stopped?: boolean;
}

export type WorkerState = 'up' | 'gone' | 'stopped';

/** A worker as listed: its newest beat and what that says now. */
export interface WorkerView extends Omit<WorkerBeat, 'stopped'> {
  state: WorkerState;
}

/** Beats missed before a worker is shown as gone. */
export const MISSED_BEATS = 3;

/**
 * The newest beat per worker, judged at `now`: up workers first, then by
 * host and pid so the list keeps still between looks.
 */
export function foldHeartbeats(beats: Iterable<WorkerBeat>, now: number): WorkerView[] {
  const newest = new Map<string, WorkerBeat>();
  for (const beat of beats) {
    const seen = newest.get(beat.id);
    if (seen === undefined || beat.beatAt >= seen.beatAt) newest.set(beat.id, beat);
  }
  const order: Record<WorkerState, number> = { up: 0, gone: 1, stopped: 2 };
  return [...newest.values()]
    .map(({ stopped, ...beat }): WorkerView => ({ ...beat, state: stopped === true ? 'stopped' : now - beat.beatAt > MISSED_BEATS * beat.intervalMs ? 'gone' : 'up' }))
    .sort((a, b) => order[a.state] - order[b.state] || a.host.localeCompare(b.host) || a.pid - b.pid || a.id.localeCompare(b.id));
}

/**
 * A record's value as a beat, or undefined for anything malformed (written
 * by hand or by another version): readers skip it rather than fail.
 */
export function asBeat(value: unknown): WorkerBeat | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const numbers = ['pid', 'threads', 'concurrency', 'inFlight', 'done', 'failed', 'startedAt', 'beatAt', 'intervalMs'] as const;
  if (typeof v.id !== 'string' || typeof v.host !== 'string') return undefined;
  if (!numbers.every((key) => typeof v[key] === 'number' && Number.isFinite(v[key]))) return undefined;
  if (!(v.intervalMs as number > 0)) return undefined;
  const strings = (list: unknown): string[] | undefined => (Array.isArray(list) && list.every((s) => typeof s === 'string') ? list : undefined);
  const tags = strings(v.tags);
  const kinds = strings(v.kinds);
  const queues = strings(v.queues);
  if (tags === undefined || kinds === undefined || queues === undefined) return undefined;
  return {
    id: v.id, host: v.host, pid: v.pid as number, tags, kinds, queues,
    threads: v.threads as number, concurrency: v.concurrency as number, inFlight: v.inFlight as number,
    done: v.done as number, failed: v.failed as number, startedAt: v.startedAt as number, beatAt: v.beatAt as number, intervalMs: v.intervalMs as number,
    ...(typeof v.waiting === 'number' && Number.isSafeInteger(v.waiting) && v.waiting >= 0 ? { waiting: v.waiting } : {}),
    ...(v.stopped === true ? { stopped: true } : {}),
  };
}
