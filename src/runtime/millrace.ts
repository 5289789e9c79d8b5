/**
 * @module runtime/millrace
 * The one place that picks adapters. `createMillrace` opens the engine:
 * embedded by default (a durable SQLite task queue, event store, log and
 * checkpoint store, a file-system blob store, under a data directory), or
 * on RabbitMQ, PostgreSQL and S3 when their URLs are configured (see
 * `runtime/backends`); worker-thread pools start on demand.
 *
 * ```
 * .millrace/
 *   queue.db     tasks, leases, dead letters
 *   events.db    process event streams
 *   streams.db   log topics and checkpoints (one file: committed together)
 *   blobs/       claim-checked payloads and datasets
 * ```
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SystemClock, type Clock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/logger.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { EventStore } from '../ports/event-store.js';
import type { Log } from '../ports/log.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { Orchestrator } from '../jobs/orchestrator.js';
import type { ProcessDefinition } from '../jobs/process-definition.js';
import type { ProcessView } from '../jobs/process-view.js';
import { TaskWorker, sumWorkerStats, type TaskWorkerStats } from '../workers/task-worker.js';
import type { LocalDispatchOptions } from '../workers/local-dispatch.js';
import { WorkerPool, type WorkerPoolStats } from '../workers/worker-pool.js';
import { PoolScaler } from '../workers/scaler/pool-scaler.js';
import type { ScalingPolicy } from '../workers/scaler/scaling-policy.js';
import { tagQueue, type TaskRoute } from '../jobs/task-routing.js';
import { followDials, type EngineDials } from './engine-dials.js';
import { startHeartbeat } from './worker-directory.js';
import { messageOf } from '../core/errors.js';
import { runTaskBatch, type TaskBatchOptions, type TaskBatchReport } from '../workers/task-batch.js';
import { describeBackends, resolveBackends, type BackendUrls, type Backends } from './backends.js';
import { resolveConfig, type MillraceConfig } from './config.js';
import { openBackends } from './open-backends.js';

export interface CreateMillraceOptions extends Partial<MillraceConfig> {
  /**
   * Cluster services by URL; each unset one stays embedded.
   * @defaultValue `MILLRACE_QUEUE`, `MILLRACE_STORE`, `MILLRACE_BLOBS`
   */
  backends?: BackendUrls;
  /** Shares of task types sent to tagged workers, e.g. `[{ task: 'resize', tag: 'v2', share: 0.1 }]`. @defaultValue none */
  routes?: readonly TaskRoute[];
  logger?: Logger;
  clock?: Clock;
  /**
   * Decorates the adapters before anything uses them: for instrumentation
   * and for fault injection (duplicated or failing deliveries, ambiguous
   * appends, a crash right after an upload) in tests. The blob store
   * wrapper serves this thread; worker threads open their own store from its
   * description. @defaultValue none
   */
  wrap?: { queue?: (queue: TaskQueue) => TaskQueue; events?: (events: EventStore) => EventStore; blobs?: (blobs: BlobStore) => BlobStore };
}

export interface StartWorkerOptions {
  /** Module exporting the task definitions (path or URL; `.ts` needs the `tsx` package). */
  tasks: string | URL;
  /** @defaultValue the engine's `threads` */
  threads?: number;
  /** Tasks in flight at once. @defaultValue 16 per thread */
  concurrency?: number;
  /** Tasks taken ahead of a free run slot (see `TaskWorkerOptions.prefetch`); 0 for long tasks over several workers. @defaultValue `concurrency` */
  prefetch?: number;
  /** @defaultValue `'tasks'` */
  queueName?: string;
  /**
   * Tags of this worker: it takes the tasks routed to each tag (see
   * `routes`) and, with `untagged`, the rest too. @defaultValue none: it takes untagged tasks
   */
  tags?: readonly string[];
  /** With `tags`, also take untagged tasks. @defaultValue false */
  untagged?: boolean;
  /** Apply the engine's dials (`workers.concurrency`, `scaler.min`, `scaler.max`) live. @defaultValue true */
  followDials?: boolean;
  /** Consume from this queue instead of the engine's: for transient request/reply work such as query strips. */
  queue?: TaskQueue;
  /** Results above this many bytes travel as blob references. @defaultValue the engine's `claimCheckBytes` */
  claimCheckBytes?: number;
  /** Replace each thread after this many tasks or this long, to contain leaks in handlers. @defaultValue never */
  recycle?: { afterRuns?: number; afterMs?: number };
  /** @defaultValue 30 000 ms */
  leaseMs?: number;
  /**
   * Hands task results straight to this engine's orchestrator once it runs,
   * acking each task after its result is stored; `false` sends them through
   * the result queue, as a worker in another process does.
   * @defaultValue true
   */
  resultsInProcess?: boolean;
  /**
   * Takes the task queue's tasks straight from this engine's orchestrator
   * once it runs, before they are published (see workers/local-dispatch):
   * at most `backlog` at once, and a task still waiting for a run slot (or,
   * with `perThread`, a thread with room) after `spillAfterMs` goes to the
   * queue for other workers. `false` takes every
   * task from the queue, as a worker in another process does.
   * @defaultValue `{ backlog: 10_000, spillAfterMs: 1_000 }`
   */
  localDispatch?: LocalDispatchOptions | false;
  /**
   * Resizes the thread pool with the queue's load, between `min` and `max`
   * threads (starting at `threads`, else `min`); see workers/scaler.
   * @defaultValue none: a fixed pool
   */
  autoscale?: ScalingPolicy & { sampleMs?: number };
  /**
   * How often the worker reports itself on the Log topic `millrace.workers`
   * (listed by `GET /api/workers`), or false for never.
   * @defaultValue 5 000 ms
   */
  heartbeatMs?: number | false;
}

/** A worker: a thread pool fed by a queue consumer. */
export interface RunningWorker {
  readonly pool: WorkerPool;
  /** The scaler resizing the pool, with `autoscale` (it measures the first of `queues`). */
  readonly scaler: PoolScaler | undefined;
  /** Queues this worker consumes: its tags' queues, or the task queue. */
  readonly queues: readonly string[];
  /** Tasks in flight at once, per queue (changed by autoscaling and the `workers.concurrency` dial). */
  readonly concurrency: number;
  /** Counts since start; `localWaiting`: tasks handed over in-process and waiting for a run slot (not in any queue's depth). */
  stats(): TaskWorkerStats & { pool: WorkerPoolStats; localWaiting: number };
  /** Stops taking tasks; with `drain` (default) finishes those in hand, then ends the threads. */
  stop(options?: { drain?: boolean }): Promise<void>;
}

/** The engine, embedded or on cluster services. */
export interface Millrace {
  readonly config: MillraceConfig;
  /** Which adapter serves each port. */
  readonly backends: Backends;
  /** `backends` in one line, without credentials, for logs. */
  readonly describeBackends: string;
  readonly queue: TaskQueue;
  readonly blobs: BlobStore;
  readonly events: EventStore;
  readonly log: Log;
  readonly checkpoints: CheckpointStore;
  readonly logger: Logger;
  /** Runs processes (jobs). Started by `startOrchestrator` or the first `runProcess`. */
  readonly orchestrator: Orchestrator;
  startWorker(options: StartWorkerOptions): Promise<RunningWorker>;
  /** Starts the orchestrator (idempotent): it catches up with the history, then takes task results. */
  startOrchestrator(): Promise<Orchestrator>;
  /** Registers the definition, starts a process and waits for it to end. */
  runProcess<I>(definition: ProcessDefinition<I>, input: I, options?: { processId?: string; signal?: AbortSignal }): Promise<ProcessView>;
  /** Runs one task per input on the workers and gathers the results. */
  runTasks<I, O>(name: string, inputs: readonly I[], options?: Omit<TaskBatchOptions, 'queue' | 'blobs'>): Promise<TaskBatchReport<O>>;
  /** Stops workers (without draining) and closes every store. */
  close(): Promise<void>;
}

/**
 * Opens the engine: embedded unless cluster URLs are configured.
 *
 * @throws `CONFIG_INVALID` for a bad setting or URL; `NOT_AVAILABLE` naming the service that cannot be reached
 * @example
 * ```ts
 * const millrace = await createMillrace({ dataDir: './.millrace' })
 * await millrace.startWorker({ tasks: new URL('./tasks.js', import.meta.url) })
 * const report = await millrace.runTasks('count-words', chunks)
 * await millrace.close()
 * ```
 */
export async function createMillrace(options: CreateMillraceOptions = {}): Promise<Millrace> {
  const config = resolveConfig(options);
  const backends = resolveBackends(options.backends);
  const clock = options.clock ?? new SystemClock();
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const opened = await openBackends(backends, { dataDir: config.dataDir, clock, logger });
  const { blobConfig, log, checkpoints } = opened;
  const blobs = options.wrap?.blobs?.(opened.blobs) ?? opened.blobs;
  const queue = options.wrap?.queue?.(opened.queue) ?? opened.queue;
  const events = options.wrap?.events?.(opened.events) ?? opened.events;
  const workers = new Set<RunningWorker>();
  const orchestrator = new Orchestrator({
    events, queue, log, checkpoints, blobs, clock, logger, claimCheckBytes: config.claimCheckBytes, routes: options.routes,
    blobCollection: { ttlMs: config.blobTtlMs },
  });
  let orchestratorStarted: Promise<Orchestrator> | undefined;
  const closing = new AbortController();
  /** Follows the engine's dials until `signal` (or the engine) stops; a change that cannot be applied is logged, not fatal. */
  const follow = (signal: AbortSignal, apply: (values: EngineDials) => Promise<void> | void): void => {
    const both = AbortSignal.any([signal, closing.signal]);
    void followDials(log, async (values, change) => {
      try {
        await apply(values);
        if (change !== undefined) logger.info({ dial: change.dial, from: change.from, to: change.to, by: change.by }, 'dial changed');
      } catch (error) {
        logger.warn({ error: messageOf(error) }, 'could not apply a dial');
      }
    }, both).catch((error: unknown) => {
      if (!both.aborted) logger.warn({ error: messageOf(error) }, 'stopped following dials');
    });
  };
  const startOrchestrator = (): Promise<Orchestrator> => (orchestratorStarted ??= orchestrator.start().then(() => {
    follow(closing.signal, (values) => {
      if (values.routes !== undefined) orchestrator.setRoutes(values.routes);
    });
    return orchestrator;
  }));

  const startWorker = async (workerOptions: StartWorkerOptions): Promise<RunningWorker> => {
    const pool = new WorkerPool({
      threadEntry: threadEntryUrl(),
      threadData: { tasksModule: toModuleUrl(workerOptions.tasks), blobStore: blobConfig, claimCheckBytes: workerOptions.claimCheckBytes ?? config.claimCheckBytes, logLevel: config.logLevel },
      size: workerOptions.threads ?? workerOptions.autoscale?.min ?? config.threads,
      recycle: workerOptions.recycle,
      logger,
    });
    await pool.start();
    const base = workerOptions.queueName ?? orchestrator.taskQueue;
    const tags = workerOptions.tags ?? [];
    const queueNames = tags.length === 0 ? [base] : [...tags.map((tag) => tagQueue(base, tag)), ...(workerOptions.untagged === true ? [base] : [])];
    // One consumer per queue, all feeding the same pool.
    // Tasks are handed over in-process only to a consumer of the engine's own task queue.
    const takesLocal = (queueName: string): boolean => workerOptions.localDispatch !== false && workerOptions.queue === undefined && queueName === orchestrator.taskQueue;
    const taskWorkers = queueNames.map((queueName) => new TaskWorker({
      queue: workerOptions.queue ?? queue, pool, queueName, concurrency: workerOptions.concurrency, prefetch: workerOptions.prefetch, leaseMs: workerOptions.leaseMs, clock, logger,
      ...(tags.length > 0 ? { tag: tags.join(',') } : {}),
      control: { log, topic: orchestrator.controlTopic },
      // Same process as the orchestrator: results go to it directly once it runs (see Orchestrator.acceptResult).
      localResults: workerOptions.resultsInProcess === false ? undefined : (resultQueue, result) => orchestrator.acceptResult(resultQueue, result),
      ...(takesLocal(queueName) ? { localDispatch: workerOptions.localDispatch || {} } : {}),
    }));
    for (const worker of taskWorkers) await worker.start();
    const detachLocal = taskWorkers.flatMap((worker) => worker.localTarget === undefined ? [] : [orchestrator.attachLocalWorker(worker.localTarget)]);
    const localWaiting = (): number => taskWorkers.reduce((sum, worker) => sum + worker.localWaiting, 0);
    const dials = new AbortController();
    const { autoscale } = workerOptions;
    const scaler = autoscale === undefined ? undefined : new PoolScaler({
      queue, queueName: taskWorkers[0]!.queueName, pool, worker: taskWorkers[0]!, policy: autoscale, sampleMs: autoscale.sampleMs, clock, logger,
    });
    scaler?.start();
    if (workerOptions.followDials !== false) {
      follow(dials.signal, async (values) => {
        const concurrency = values['workers.concurrency'];
        if (concurrency !== undefined) for (const worker of taskWorkers) if (worker.concurrency !== concurrency) await worker.setConcurrency(concurrency);
        if (scaler !== undefined && (values['scaler.min'] !== undefined || values['scaler.max'] !== undefined)) {
          const policy = scaler.status().policy;
          scaler.setPolicy({ ...policy, min: values['scaler.min'] ?? policy.min, max: values['scaler.max'] ?? policy.max });
        }
      });
    }
    const heartbeat = workerOptions.heartbeatMs === false ? undefined : startHeartbeat({
      log, clock, logger, intervalMs: workerOptions.heartbeatMs,
      snapshot: () => {
        const stats = sumWorkerStats(taskWorkers.map((worker) => worker.stats));
        return {
          tags: [...tags], kinds: pool.tasks.map((task) => task.name), queues: queueNames, threads: pool.stats.size,
          concurrency: taskWorkers[0]!.concurrency, inFlight: pool.stats.inFlight, waiting: localWaiting(), done: stats.succeeded, failed: stats.failed,
        };
      },
    });
    const running: RunningWorker = {
      pool,
      scaler,
      queues: queueNames,
      get concurrency() {
        return taskWorkers[0]!.concurrency;
      },
      stats: () => ({ ...sumWorkerStats(taskWorkers.map((worker) => worker.stats)), pool: pool.stats, localWaiting: localWaiting() }),
      stop: async (stopOptions = {}) => {
        workers.delete(running);
        for (const detach of detachLocal) detach();
        dials.abort();
        await scaler?.stop();
        await Promise.all(taskWorkers.map((worker) => worker.stop(stopOptions)));
        await pool.close();
        await heartbeat?.stop();
      },
    };
    workers.add(running);
    return running;
  };

  return {
    config, backends, describeBackends: describeBackends(backends), queue, blobs, events, log, checkpoints, logger, orchestrator,
    startWorker,
    startOrchestrator,
    runProcess: async (definition, input, runOptions = {}) => {
      orchestrator.register(definition);
      await startOrchestrator();
      const processId = await orchestrator.startProcess(definition.name, input, { version: definition.version, processId: runOptions.processId });
      return orchestrator.wait(processId, { signal: runOptions.signal });
    },
    runTasks: (name, inputs, batchOptions = {}) => runTaskBatch(name, inputs, { ...batchOptions, queue, blobs, claimCheckBytes: config.claimCheckBytes }),
    close: async () => {
      closing.abort();
      await Promise.all([...workers].map((w) => w.stop({ drain: false })));
      if (orchestratorStarted !== undefined) await orchestrator.stop();
      // A wrapper may hold resources of its own; closing it closes the adapter beneath.
      if (queue !== opened.queue) await queue.close();
      if (events !== opened.events) await events.close();
      if (blobs !== opened.blobs) await blobs.close();
      await opened.close();
    },
  };
}

/** The thread entry next to this file, as `.ts` from source or `.js` when built. */
function threadEntryUrl(): URL {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./thread-main${extension}`, import.meta.url);
}

function toModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z]+:/i.test(module)) return module;
  return pathToFileURL(resolve(module)).href;
}
