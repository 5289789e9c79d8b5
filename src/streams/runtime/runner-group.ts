/**
 * @module streams/runtime/runner-group
 * Who runs which partition task of a pipeline: the group of runners, kept
 * as one row of the checkpoint store (`<runId>/group`) and changed only by
 * compare-and-set on its version. Pure: every change is
 * `reconcileGroup(group, input) → group'`, and time comes in as `now`.
 *
 * Glossary:
 * - **member**: a runner, with a lease expiry it renews every heartbeat.
 * - **target**: where a task should run: the tasks in id order dealt
 *   round-robin over the members in id order (balanced; deterministic, so
 *   every runner computes the same one).
 * - **owner**: the runner that holds a task now. At most one per task in
 *   any version of the row.
 *
 * A task moves in two steps, so its old and new owner never run it at the
 * same time while both are alive:
 *
 * ```
 *  target moves t: A → B      A: sees it, stops t after its current step (its commits are done)
 *  next heartbeat of A        A: t no longer running → owners[t] deleted (released)
 *  next heartbeat of B        B: owners[t] free and target is B → owners[t] = B, start t from its checkpoint
 *  A's lease expired          anyone: A's member entry and all A's owners entries deleted
 * ```
 *
 * The row decides ownership; the task checkpoints fence it. A runner
 * that stalls past its lease (a long pause, a lost network) may still be
 * running a task that another runner has claimed; its next commit for that
 * task fails with `CHECKPOINT_CONFLICT` (the checkpoint version moved) and
 * writes nothing, and it stops the task. Leases compare the members'
 * clocks, so a clock far off only delays or hastens a takeover; it cannot
 * make a step count twice.
 */
import type { PartitionRange } from './mapper-task.js';

/** The group row. */
export interface RunnerGroup {
  v: 1;
  /** Runner id → lease expiry (ms since the epoch, the runner's clock). */
  members: Record<string, number>;
  /** Task id → the runner that holds it. */
  owners: Record<string, string>;
  /** Tasks of a bounded run that have ended (their checkpoints say so too). */
  finished: string[];
  /** A bounded run's ranges, fixed by the runner that made the group; `null` for an unbounded run. */
  ranges: PartitionRange[] | null;
  /** +1 each time the members change. */
  generation: number;
}

export interface ReconcileInput {
  runnerId: string;
  now: number;
  leaseMs: number;
  /** Every task of the pipeline, in id order. */
  tasks: readonly string[];
  /** Tasks this runner is running now. */
  running: ReadonlySet<string>;
  /** Tasks this runner saw end. */
  finished: ReadonlySet<string>;
  /** Leave the group: release everything (only with nothing running). */
  leaving?: boolean;
}

export interface Reconciled {
  group: RunnerGroup;
  /** Tasks this runner now holds and should start. */
  start: string[];
  /** Running tasks this runner should stop (moved elsewhere, or lost). */
  stop: string[];
}

/** An empty group for a run with `ranges` (or none). */
export function emptyGroup(ranges: readonly PartitionRange[] | undefined): RunnerGroup {
  return { v: 1, members: {}, owners: {}, finished: [], ranges: ranges === undefined ? null : ranges.map((range) => ({ ...range })), generation: 0 };
}

/** Where each task should run, given the members: round-robin in id order. */
export function targetOwners(tasks: readonly string[], members: readonly string[]): Map<string, string> {
  const sorted = [...members].sort();
  const target = new Map<string, string>();
  if (sorted.length === 0) return target;
  tasks.forEach((task, i) => target.set(task, sorted[i % sorted.length]!));
  return target;
}

/** One heartbeat of `runnerId`: expire, renew, release, claim. */
export function reconcileGroup(group: RunnerGroup, input: ReconcileInput): Reconciled {
  const { runnerId, now, leaseMs, tasks, running } = input;
  const members = { ...group.members };
  const before = Object.keys(members).sort().join(',');
  for (const [member, expiry] of Object.entries(members)) if (member !== runnerId && expiry <= now) delete members[member];
  if (input.leaving === true) delete members[runnerId];
  else members[runnerId] = now + leaseMs;
  const finished = new Set([...group.finished, ...input.finished]);
  const owners: Record<string, string> = {};
  for (const [task, owner] of Object.entries(group.owners)) {
    if (!(owner in members) || finished.has(task) || !tasks.includes(task)) continue;
    // This runner's own entries stay only while the task runs here.
    if (owner === runnerId && !running.has(task)) continue;
    owners[task] = owner;
  }
  const target = targetOwners(tasks, Object.keys(members));
  if (input.leaving !== true) {
    for (const task of tasks) if (target.get(task) === runnerId && owners[task] === undefined && !finished.has(task)) owners[task] = runnerId;
  }
  const start = tasks.filter((task) => owners[task] === runnerId && !running.has(task));
  const stop = [...running].filter((task) => owners[task] !== runnerId || target.get(task) !== runnerId);
  const after = Object.keys(members).sort().join(',');
  return {
    group: { v: 1, members, owners, finished: tasks.filter((task) => finished.has(task)), ranges: group.ranges, generation: group.generation + (after === before ? 0 : 1) },
    start,
    stop,
  };
}

/** Whether every task of a bounded run has ended. */
export function allFinished(group: RunnerGroup, tasks: readonly string[]): boolean {
  return group.ranges !== null && tasks.every((task) => group.finished.includes(task));
}
