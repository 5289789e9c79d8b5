/**
 * @module streams/runtime/stream-runner
 * A runner: one member of a group that spreads a pipeline's partition
 * tasks over any number of threads or processes (`millrace stream run`,
 * one per process). Each runner heartbeats the group row
 * (`runner-group.ts`), runs the tasks it owns as read → process → commit
 * loops, and hands tasks over when the members change:
 *
 * ```
 *  runner A ─┐                     ┌─ map/0, map/2, window/1    (A's loops)
 *            ├─ <runId>/group row ─┤
 *  runner B ─┘  (CAS on version)   └─ map/1, window/0, window/2 (B's loops)
 *
 *  B dies  →  its lease runs out  →  A's next heartbeat frees B's tasks, claims them,
 *             and starts each from its checkpoint (B's last committed step)
 *  C joins →  targets move  →  an owner stops a moved task after its step and releases it  →  C claims it
 * ```
 *
 * Exactly once does not rest on the leases: every task commits its output
 * with its checkpoint against the version it loaded, so a task run twice
 * at once (a runner stalled past its lease) commits each step once and the
 * loser of the race gets `CHECKPOINT_CONFLICT`, writes nothing and stops.
 * The leases make that rare and make takeover automatic.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { SystemClock, type Clock } from '../../core/clock.js';
import { hasCode, MillraceError } from '../../core/errors.js';
import { decodeJson, encodeJsonBytes } from '../../core/json-codec.js';
import { silentLogger } from '../../core/logger.js';
import type { MapperCounters } from './mapper-task.js';
import { MapperTask } from './mapper-task.js';
import type { PipelineDefinition } from './pipeline.js';
import { preparePipelineTasks, type PipelineTask } from './pipeline-tasks.js';
import type { StartPipelineOptions } from './run-pipeline.js';
import { allFinished, emptyGroup, reconcileGroup, type RunnerGroup } from './runner-group.js';
import type { WindowTaskCounters } from './window-state.js';

export interface StartRunnerOptions extends Omit<StartPipelineOptions, 'sinkTopics'> {
  /** This runner's id in the group. @defaultValue `<host>-<pid>-<random>` */
  runnerId?: string;
  /**
   * How long a runner's membership lasts without a heartbeat: after a crash
   * its tasks wait this long before another runner takes them.
   * @defaultValue 10 000 ms
   */
  leaseMs?: number;
  /** @defaultValue a third of `leaseMs` */
  heartbeatMs?: number;
  /** Sink topics (and blob prefixes) as this run names them. @defaultValue none */
  sinkTopics?: ReadonlyMap<string, string>;
}

export interface RunnerMetrics {
  runnerId: string;
  /** Tasks this runner is running now. */
  tasks: string[];
  members: string[];
  generation: number;
  mappers: Array<MapperCounters & { task: string }>;
  windows: Array<WindowTaskCounters & { task: string; watermark: number }>;
  /** Tasks this runner has started from their checkpoints (its first ones and those it took over). */
  started: number;
}

export interface RunningRunner {
  readonly runnerId: string;
  readonly runId: string;
  /** Resolves when every task of a bounded run has ended (on any runner), or after `stop`; rejects if a task fails. */
  readonly done: Promise<void>;
  /** Stops this runner's tasks after their current step and leaves the group, so others take its tasks at once. */
  stop(): Promise<void>;
  metrics(): RunnerMetrics;
}

interface Running {
  task: PipelineTask;
  stop: AbortController;
  loop: Promise<void>;
}

/**
 * Joins the group of `definition`'s run and runs the tasks it is given.
 *
 * @example
 * ```ts
 * // in each of several processes, on the same stores:
 * const runner = await startRunner(perPage, { store, leaseMs: 5_000 })
 * process.once('SIGTERM', () => void runner.stop())
 * await runner.done
 * ```
 */
export async function startRunner(definition: PipelineDefinition, options: StartRunnerOptions): Promise<RunningRunner> {
  const { store } = options;
  const clock: Clock = options.clock ?? new SystemClock();
  const logger = (options.logger ?? silentLogger).child({ component: 'stream-runner', stream: definition.name });
  const runId = options.runId ?? definition.name;
  const runnerId = options.runnerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3));
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  if (!(leaseMs > 0) || !(heartbeatMs > 0) || heartbeatMs >= leaseMs) {
    throw new MillraceError('CONFIG_INVALID', `stream runner: heartbeatMs (${heartbeatMs}) must be positive and shorter than leaseMs (${leaseMs})`, { field: 'leaseMs' });
  }
  const groupId = `${runId}/group`;

  let version = 0;
  let group: RunnerGroup = emptyGroup(options.ranges);
  const load = async (): Promise<void> => {
    const loaded = await store.checkpoints.load(groupId);
    version = loaded?.version ?? 0;
    group = loaded === undefined ? emptyGroup(options.ranges) : (decodeJson(loaded.state) as RunnerGroup);
  };
  // The group row fixes a bounded run's ranges: the first runner's win, so every runner reads the same records.
  // It is created (compare-and-set from nothing) before the tasks are planned, so two runners starting at once agree.
  await load();
  if (version === 0) {
    try {
      version = await store.checkpoints.commit(groupId, { state: encodeJsonBytes(group), offsets: {}, expectedVersion: 0 });
    } catch (error) {
      if (!hasCode(error, 'CHECKPOINT_CONFLICT')) throw error;
      await load();
    }
  }
  const plan = await preparePipelineTasks(definition, {
    store, clock, runId, sinkTopics: options.sinkTopics ?? new Map(), ranges: group.ranges ?? undefined,
    batchSize: options.batchSize ?? 1000, ...(options.blobs === undefined ? {} : { blobs: options.blobs }),
  });

  const running = new Map<string, Running>();
  const finished = new Set<string>();
  let renewedAt = Number.NEGATIVE_INFINITY;
  let started = 0;
  let failure: unknown;
  const stopping = new AbortController();
  let wake: (() => void) | undefined;

  const runTask = (id: string): void => {
    const task = plan.create(id);
    const stop = new AbortController();
    const loop = (async () => {
      await task.start();
      started++;
      logger.info({ runnerId, task: id, position: task.position }, 'task started');
      while (!stop.signal.aborted && !task.done) {
        // Self-fencing: a runner that could not renew its lease stops before another may have claimed the task.
        if (clock.now() - renewedAt >= leaseMs) break;
        const read = await task.step();
        if (read === 0 && !task.done) await clock.sleep(pollIntervalMs, stop.signal).catch(() => undefined);
        // Embedded stores answer synchronously, so a busy loop would never let a timer run: the heartbeat
        // would starve and the lease lapse while the runner is working hardest. Yield to the event loop.
        else await yieldToEventLoop();
      }
      if (task.done) finished.add(id);
    })().catch((error: unknown) => {
      if (hasCode(error, 'CHECKPOINT_CONFLICT')) {
        // Another owner committed this task's checkpoint: this copy is stale. Drop it; the group decides who runs it.
        logger.warn({ task: id }, 'task fenced by a newer checkpoint; stopped');
        return;
      }
      failure ??= error;
      stopping.abort();
    }).finally(() => {
      running.delete(id);
      wake?.();
    });
    running.set(id, { task, stop, loop });
  };

  const heartbeat = async (leaving = false): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const now = clock.now();
      const result = reconcileGroup(group, {
        runnerId, now, leaseMs, tasks: plan.ids, running: new Set(running.keys()), finished, leaving,
      });
      try {
        version = await store.checkpoints.commit(groupId, { state: encodeJsonBytes(result.group), offsets: {}, expectedVersion: version });
      } catch (error) {
        if (!hasCode(error, 'CHECKPOINT_CONFLICT') || attempt >= 20) throw error;
        await load();
        continue;
      }
      group = result.group;
      renewedAt = now;
      if (leaving) return;
      for (const id of result.stop) running.get(id)?.stop.abort();
      for (const id of result.start) if (!stopping.signal.aborted) runTask(id);
      return;
    }
  };

  await heartbeat();
  logger.info({ runnerId, tasks: [...running.keys()] }, 'runner joined');
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const done = (async () => {
    try {
      while (!stopping.signal.aborted && !allFinished(group, plan.ids)) {
        // Sleeps a heartbeat, or less when a task ends (so its release is not late) or on stop.
        await new Promise<void>((resolve) => {
          const timer = clock.setTimer(() => wakeUp(), heartbeatMs);
          const wakeUp = (): void => {
            timer.cancel();
            stopping.signal.removeEventListener('abort', wakeUp);
            wake = undefined;
            resolve();
          };
          wake = wakeUp;
          stopping.signal.addEventListener('abort', wakeUp);
        });
        if (stopping.signal.aborted) break;
        await heartbeat();
      }
    } finally {
      stopping.abort();
      for (const { stop } of running.values()) stop.abort();
      await Promise.allSettled([...running.values()].map(({ loop }) => loop));
      // Leave, so the others need not wait for the lease to run out (best effort: a crash leaves by expiry).
      if (!allFinished(group, plan.ids)) await heartbeat(true).catch((error: unknown) => logger.warn({ error: (error as Error).message }, 'could not leave the group'));
      clearInterval(keepAlive);
    }
    if (failure !== undefined) throw failure;
  })();
  done.catch(() => undefined);

  return {
    runnerId,
    runId,
    done,
    stop: async () => {
      stopping.abort();
      await done.catch(() => undefined);
    },
    metrics: () => {
      const mappers: RunnerMetrics['mappers'] = [];
      const windows: RunnerMetrics['windows'] = [];
      for (const [id, { task }] of running) {
        if (task instanceof MapperTask) mappers.push({ ...task.counters, task: id });
        else windows.push({ ...task.counters, task: id, watermark: task.watermark });
      }
      return { runnerId, tasks: [...running.keys()].sort(), members: Object.keys(group.members).sort(), generation: group.generation, mappers, windows, started };
    },
  };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
