/**
 * @module streams/runtime/runner-threads
 * Runners on worker threads, for one process (embedded): `threads`
 * runners of one pipeline, each on its own thread with its own store
 * handles, sharing the pipeline's tasks through the group row as runner
 * processes do (`stream-runner.ts`). On one machine this is what spreads
 * the keyed work over the cores: SQLite calls are synchronous, so tasks
 * on one thread take turns.
 *
 * ```
 *  startRunnerThreads ──▶ thread 1: runner  ─┐
 *                     ──▶ thread 2: runner  ─┼─ <name>/group row, task checkpoints (one SQLite file in WAL mode)
 *                     ──▶ …                 ─┘
 *  a thread that dies (an uncaught error, process.exit in user code) ──▶ a new thread, a new runner id;
 *  the dead runner's tasks move once its lease runs out
 * ```
 *
 * The pipeline and the stores are given as modules, because functions and
 * handles cannot cross threads: `module` exports the definition, and
 * `storeModule` exports `openStreamStore(threadData)`, which each thread
 * calls to open its own handles on the shared stores.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { MillraceError, type ErrorCode } from '../../core/errors.js';
import { siblingModule, startModuleThread } from '../../core/module-thread.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { PartitionRange } from './mapper-task.js';
import type { StreamStore } from './stream-store.js';

/** What a store module exports (`storeModule`); `threadData` is the option of that name. */
export interface StreamStoreModule {
  openStreamStore(threadData: unknown): Promise<{ store: StreamStore; blobs?: BlobStore; close(): Promise<void> }>;
}

export interface RunnerThreadsOptions {
  /** Module (path or URL) exporting the pipeline definition. */
  module: string | URL;
  /** The pipeline's name. */
  stream: string;
  /** Module (path or URL) exporting `openStreamStore()` (see `StreamStoreModule`). */
  storeModule: string | URL;
  /** @defaultValue the number of cores */
  threads?: number;
  /** @defaultValue 10 000 ms */
  leaseMs?: number;
  /** Records read per step. @defaultValue 1000 */
  batchSize?: number;
  /** @defaultValue 20 */
  pollIntervalMs?: number;
  /** A bounded run's ranges (the first runner's are kept in the group row). */
  ranges?: readonly PartitionRange[];
  /** Threads replaced after dying, in all, before the run fails. @defaultValue 10 */
  maxRestarts?: number;
  /** Handed to `openStreamStore` and to every thread as `workerData.threadData` (structured-cloned; a SharedArrayBuffer is shared). */
  threadData?: unknown;
  logger?: Logger;
}

/** What the thread entry receives. */
export interface RunnerThreadData {
  module: string;
  stream: string;
  storeModule: string;
  runnerId: string;
  options: { leaseMs?: number; batchSize?: number; pollIntervalMs?: number; ranges?: PartitionRange[] };
}

export interface RunningRunnerThreads {
  /** Resolves when a bounded run has ended (or after `stop`); rejects when a thread fails to start or threads die more than `maxRestarts` times. */
  readonly done: Promise<void>;
  /** Runner ids of the threads started so far, the replaced ones included. */
  readonly runnerIds: readonly string[];
  /** Threads that died and were replaced. */
  readonly restarts: number;
  /** Stops every runner after its current steps; their tasks are released. */
  stop(): Promise<void>;
}

/**
 * Starts `threads` runners of pipeline `stream` on worker threads.
 *
 * @example
 * ```ts
 * const running = await startRunnerThreads({ module: './pipelines.ts', stream: 'per-page', storeModule: './store.ts', threads: 2 })
 * await running.done
 * ```
 */
export async function startRunnerThreads(options: RunnerThreadsOptions): Promise<RunningRunnerThreads> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 1) throw new MillraceError('CONFIG_INVALID', `threads must be a whole number ≥ 1, got ${String(threads)}`, { field: 'threads' });
  const logger = (options.logger ?? silentLogger).child({ component: 'runner-threads', stream: options.stream });
  const maxRestarts = options.maxRestarts ?? 10;
  const entry = siblingModule(import.meta.url, 'runner-thread');
  const base = `${options.stream}-${process.pid}-${Date.now().toString(36)}`;
  const runnerIds: string[] = [];
  let restarts = 0;
  let stopping = false;
  const live = new Set<Worker>();
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => undefined);
  let finished = false;
  const finish = (error?: unknown): void => {
    if (finished) return;
    finished = true;
    stopping = true;
    for (const worker of live) worker.postMessage({ t: 'stop' });
    void Promise.all([...live].map((worker) => new Promise((resolve) => worker.once('exit', resolve)))).then(() => (error === undefined ? settle.resolve() : settle.reject(error)));
  };

  const spawn = (): Promise<void> => new Promise((joined, failed) => {
    const runnerId = `${base}-${runnerIds.length}`;
    runnerIds.push(runnerId);
    const data: RunnerThreadData = {
      module: toUrl(options.module), stream: options.stream, storeModule: toUrl(options.storeModule), runnerId,
      options: {
        ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }), ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }), ...(options.ranges === undefined ? {} : { ranges: options.ranges.map((r) => ({ ...r })) }),
      },
    };
    const worker = startModuleThread(entry, { workerData: { runner: data, threadData: options.threadData }, alsoLoads: [toUrl(options.module), toUrl(options.storeModule)] });
    live.add(worker);
    let ended = false;
    worker.on('message', (message: { t: string; code?: string; message?: string }) => {
      if (message.t === 'joined') joined();
      else if (message.t === 'done') {
        ended = true;
        // One runner seeing the end of a bounded run means every task has ended.
        if (!stopping) finish();
      } else if (message.t === 'failed' || message.t === 'fatal') {
        ended = true;
        // The thread's error, with its code (codes are strings and cross threads as such).
        const error = new MillraceError((message.code ?? 'NOT_AVAILABLE') as ErrorCode, `runner thread ${runnerId}: ${message.message ?? 'failed'}`, { runnerId });
        failed(error);
        finish(error);
      }
    });
    worker.on('error', (error: Error) => logger.warn({ runnerId, error: error.message }, 'runner thread crashed'));
    worker.once('exit', (code: number) => {
      live.delete(worker);
      if (ended || stopping) return;
      // Died without ending: its tasks move when its lease runs out; a new runner takes its place.
      logger.warn({ runnerId, code }, 'runner thread died; starting another');
      joined(); // its replacement stands for it
      if (++restarts > maxRestarts) {
        finish(new MillraceError('NOT_AVAILABLE', `runner threads of ${options.stream} died ${restarts} times`, { stream: options.stream }));
        return;
      }
      spawn().catch((error: unknown) => finish(error));
    });
  });

  try {
    for (let i = 0; i < threads; i++) await spawn();
  } catch (error) {
    finish(error);
    await done.catch(() => undefined);
    throw error;
  }
  return {
    done,
    get runnerIds() {
      return [...runnerIds];
    },
    get restarts() {
      return restarts;
    },
    stop: async () => {
      finish();
      await done.catch(() => undefined);
    },
  };
}

function toUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  return /^[a-z]+:/.test(module) ? module : new URL(module, `file://${process.cwd()}/`).href;
}
