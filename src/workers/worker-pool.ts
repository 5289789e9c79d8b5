/**
 * @module workers/worker-pool
 * A pool of `worker_threads` that run task handlers, so CPU-heavy handlers
 * use every core and a handler that crashes its thread (an uncaught error in
 * a callback, an out-of-memory) costs only the tasks on that thread: they
 * fail with the retryable `WORKER_CRASHED` and a new thread takes its place.
 *
 * Each thread runs many tasks at once (handlers are usually async); a run
 * goes to the thread with the fewest in flight. The pool does not queue:
 * callers (a queue consumer) bound how much they hand it.
 *
 * Cheap runs are grouped. Runs handed over in one event-loop turn (a batch
 * a consumer leased together) go to one thread while the work they are
 * estimated to take stays under {@link GROUP_WORK_MS}; only past that does
 * the next run go to the least-loaded thread. The estimate is, per task
 * name, a moving average of the thread time runs took (each thread reports
 * how long it was busy for the results it sends). A task not yet timed is
 * treated as expensive: runs are grouped only once their task has been seen
 * to be cheap, so a CPU-heavy task keeps every core.
 *
 * Why: spreading a batch of short tasks over every thread buys no
 * parallelism, and it splits the batch. Each thread's results come back at
 * its own moment, so the consumer settles them, and leases again, in as
 * many pieces, and every piece pays its own durable commits downstream. In
 * a 10,000-task fan-out of no-op tasks on two threads, batches of 32 fell
 * apart into pieces of 4 to 20 (some 850 event appends and as many queue
 * commits); grouped, they mostly stay whole (some 350 of each), and the run
 * took half the time (`npm run bench -- dag`).
 *
 * A task may limit the runs one thread takes at once (`perThread`, for
 * CPU-bound tasks). Its runs beyond what the threads have room for wait in
 * the pool, and each goes to the first thread that finishes one. Handing
 * every run to a thread up front fixes each thread's share of the work, so
 * a thread slowed by other work (the main thread, the garbage collector)
 * could end last while the other idles. (On page-hits, 1 GB in 30 splits,
 * the benchmark showed no measurable difference either way: docs/mapreduce.md.)
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { MillraceError } from '../core/errors.js';
import { toFailure } from '../core/failure.js';
import { decodeMessageBody } from '../core/message-body.js';
import { startModuleThread } from '../core/module-thread.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { MAX_CLAIMED_BYTES } from './claim-check.js';
import type { TaskInfo } from './task-definition.js';
import type { FromThread, RunRequest, TaskOutcome, ThreadData, ToThread } from './thread-protocol.js';

export interface WorkerPoolOptions {
  /** Module each thread runs; it must call `serveTasks` once its task module is loaded. */
  threadEntry: URL;
  threadData: ThreadData;
  /** Threads. @defaultValue the number of cores */
  size?: number;
  logger?: Logger;
  /** How long a thread may take to load the task module. @defaultValue 30 000 ms */
  readyTimeoutMs?: number;
  /**
   * Replaces a thread once it has run this many tasks or lived this long,
   * to contain leaks in handlers: a fresh thread starts first, the old one
   * takes no new runs and ends once its runs are done. @defaultValue never
   */
  recycle?: { afterRuns?: number; afterMs?: number };
}

export interface RunOptions {
  /** Aborting it aborts the handler (its signal) and fails the run with `TASK_ABORTED`. */
  signal?: AbortSignal;
  onHeartbeat?: (progress?: Record<string, number | string>) => void;
}

/** A run started by {@link WorkerPool.startRun}. */
export interface StartedRun {
  /** The run's outcome; a handler's error is an outcome, not a rejection. */
  readonly outcome: Promise<TaskOutcome>;
  /** Aborts the handler (its signal) and fails the run with `TASK_ABORTED`; a no-op once it has ended. */
  abort(reason: string): void;
}

/** Counters since the pool started. */
export interface WorkerPoolStats {
  size: number;
  inFlight: number;
  completed: number;
  failed: number;
  crashes: number;
  /** Milliseconds threads spent running tasks, summed over threads: with time and size, how busy the pool is. */
  busyMs: number;
  /** Threads replaced by `recycle`. */
  recycled: number;
}

/** Estimated work a turn's runs may put on one thread before the next run goes to another: far above the cost of a thread hop, far below a task worth a core of its own. */
export const GROUP_WORK_MS = 5;

/** Weight of the newest sample in a task's run-time estimate. */
const ESTIMATE_WEIGHT = 0.2;

interface PendingRun {
  name: string;
  resolve: (outcome: TaskOutcome) => void;
  onHeartbeat?: ((progress?: Record<string, number | string>) => void) | undefined;
  cleanup: () => void;
}

/** A run waiting in the pool for a thread with room for its task (`perThread`). */
interface HeldRun {
  id: number;
  request: RunRequest;
  run: PendingRun;
}

interface Thread {
  worker: Worker;
  pending: Map<number, PendingRun>;
  /** Runs assigned this turn, posted together at the end of it. */
  outbox: Array<{ id: number; request: RunRequest }>;
  retiring: boolean;
  /** A replacement is starting. */
  recycling: boolean;
  runs: number;
  startedAt: number;
}

/**
 * @example
 * ```ts
 * const pool = new WorkerPool({ threadEntry, threadData, size: 4 })
 * const tasks = await pool.start()
 * const outcome = await pool.run({ taskId: 'p/s/0', name: 'resize', input, attempt: 1 })
 * ```
 */
export class WorkerPool {
  private readonly threads = new Set<Thread>();
  private readonly logger: Logger;
  private targetSize: number;
  private nextRunId = 1;
  private closed = false;
  private catalog = new Map<string, TaskInfo>();
  private readonly counters = { completed: 0, failed: 0, crashes: 0, busyMs: 0, recycled: 0 };
  /** Estimated thread time of one run, in ms, by task name. */
  private readonly runMs = new Map<string, number>();
  /** Runs of `perThread` tasks waiting for room, by task name, oldest first. */
  private readonly held = new Map<string, HeldRun[]>();
  /** Callers of {@link roomChanged}, woken together. */
  private roomWaiters: Array<() => void> = [];
  /** The thread this turn's runs are grouped on, and the estimated work given to it so far. */
  private turn: { thread: Thread; ms: number } | undefined;

  constructor(private readonly options: WorkerPoolOptions) {
    this.targetSize = validSize(options.size ?? availableParallelism());
    this.logger = (options.logger ?? silentLogger).child({ component: 'worker-pool' });
  }

  /** Starts the threads; resolves with the tasks they serve once all are ready. */
  async start(): Promise<TaskInfo[]> {
    const started = await Promise.allSettled(Array.from({ length: this.targetSize }, () => this.spawn()));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) {
      await this.close();
      throw failure.reason;
    }
    return this.tasks;
  }

  /** Task settings reported by the threads (name, retry, timeout). */
  get tasks(): TaskInfo[] {
    return [...this.catalog.values()];
  }

  /** Settings of one task, if the threads serve it. */
  task(name: string): TaskInfo | undefined {
    return this.catalog.get(name);
  }

  get stats(): WorkerPoolStats {
    let inFlight = 0;
    for (const thread of this.threads) inFlight += thread.pending.size;
    for (const runs of this.held.values()) inFlight += runs.length;
    return { size: this.threads.size, inFlight, ...this.counters };
  }

  /**
   * Whether a run of `name` would go to a thread now rather than wait in the
   * pool for room (`perThread`). A task handed over in-process is claimed
   * only then: until it is, its worker can still hand it to the queue.
   */
  hasRoomFor(name: string): boolean {
    const limit = this.catalog.get(name)?.perThread;
    return limit === undefined || this.closed || (!this.held.has(name) && this.threadWithRoom(name, limit) !== undefined);
  }

  /** Resolves when room may have appeared: a run ended, a thread started, or the pool closed. */
  roomChanged(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Runs one task. Resolves with its outcome; a handler's error is an outcome, not a rejection. */
  run(request: RunRequest, options: RunOptions = {}): Promise<TaskOutcome> {
    const signal = options.signal;
    if (signal === undefined) return this.startRun(request, options).outcome;
    let started: StartedRun;
    const onAbort = (): void => started.abort(String((signal.reason as Error)?.message ?? 'aborted'));
    try {
      started = this.startRun(request, { onHeartbeat: options.onHeartbeat, cleanup: () => signal.removeEventListener('abort', onAbort) });
    } catch (error) {
      return Promise.reject(error);
    }
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    return started.outcome;
  }

  /**
   * Starts one task and hands back a function that aborts it. The same as
   * `run` with a signal, minus the signal: signals and their listeners took
   * a quarter of a task worker's main-thread time per no-op task, and it
   * already knows when to abort (lease lost, process cancelled).
   * @throws `WORKER_POOL_CLOSED`
   */
  startRun(request: RunRequest, options: { onHeartbeat?: RunOptions['onHeartbeat']; cleanup?: () => void } = {}): StartedRun {
    if (this.closed) throw new MillraceError('WORKER_POOL_CLOSED', 'the worker pool is closed');
    const limit = this.catalog.get(request.name)?.perThread;
    const thread = limit === undefined ? this.threadFor(request.name) : this.threadWithRoom(request.name, limit);
    if (thread === undefined && (limit === undefined || this.leastLoaded() === undefined)) throw new MillraceError('WORKER_POOL_CLOSED', 'the worker pool has no threads');
    const id = this.nextRunId++;
    let run!: PendingRun;
    const outcome = new Promise<TaskOutcome>((resolve) => {
      run = { name: request.name, resolve, onHeartbeat: options.onHeartbeat, cleanup: options.cleanup ?? noCleanup };
    });
    if (thread === undefined) {
      const queue = this.held.get(request.name) ?? [];
      queue.push({ id, request, run });
      this.held.set(request.name, queue);
    } else {
      this.dispatch(thread, id, request, run);
    }
    const abort = (reason: string): void => {
      if (this.dropHeld(request.name, id)) {
        run.cleanup();
        this.counters.failed++;
        run.resolve({ ok: false, failure: toFailure(new MillraceError('TASK_ABORTED', `task aborted: ${reason}`, { taskId: request.taskId })) });
        return;
      }
      const holder = [...this.threads].find((t) => t.pending.has(id));
      if (holder === undefined) return;
      this.flushOutbox(holder); // the run must reach the thread before its abort does
      this.post(holder, { t: 'abort', id, reason });
    };
    return { outcome, abort };
  }

  private dispatch(thread: Thread, id: number, request: RunRequest, run: PendingRun): void {
    thread.pending.set(id, run);
    if (thread.outbox.length === 0) setImmediate(() => this.flushOutbox(thread));
    thread.outbox.push({ id, request });
  }

  /** The thread running the fewest runs of `name` (then the fewest runs at all), among those running fewer than `limit`. */
  private threadWithRoom(name: string, limit: number): Thread | undefined {
    let best: Thread | undefined;
    let bestRuns = 0;
    for (const thread of this.threads) {
      if (thread.retiring) continue;
      let runs = 0;
      for (const run of thread.pending.values()) if (run.name === name) runs++;
      if (runs >= limit) continue;
      if (best === undefined || runs < bestRuns || (runs === bestRuns && thread.pending.size < best.pending.size)) {
        best = thread;
        bestRuns = runs;
      }
    }
    return best;
  }

  /** Hands held runs to threads that have room for them now. */
  private releaseHeld(): void {
    for (const [name, queue] of this.held) {
      const limit = this.catalog.get(name)?.perThread ?? Number.POSITIVE_INFINITY;
      while (queue.length > 0) {
        const thread = this.threadWithRoom(name, limit);
        if (thread === undefined) break;
        const next = queue.shift()!;
        this.dispatch(thread, next.id, next.request, next.run);
      }
      if (queue.length === 0) this.held.delete(name);
    }
  }

  private dropHeld(name: string, id: number): boolean {
    const queue = this.held.get(name);
    const at = queue?.findIndex((held) => held.id === id) ?? -1;
    if (at < 0) return false;
    queue!.splice(at, 1);
    if (queue!.length === 0) this.held.delete(name);
    return true;
  }

  /** Grows or shrinks the pool; a retired thread finishes what it holds first. */
  async resize(size: number): Promise<void> {
    this.targetSize = validSize(size);
    const live = [...this.threads].filter((t) => !t.retiring);
    if (live.length < this.targetSize) {
      await Promise.all(Array.from({ length: this.targetSize - live.length }, () => this.spawn()));
      return;
    }
    const surplus = live.sort((a, b) => a.pending.size - b.pending.size).slice(0, live.length - this.targetSize);
    for (const thread of surplus) {
      thread.retiring = true;
      if (thread.pending.size === 0) void this.retire(thread);
    }
  }

  /** Terminates every thread; runs still in flight fail with `WORKER_POOL_CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const queue of this.held.values()) {
      for (const { run } of queue) {
        run.cleanup();
        this.counters.failed++;
        run.resolve({ ok: false, failure: { type: 'WORKER_POOL_CLOSED', message: 'the worker pool closed before the task ran', retryable: true } });
      }
    }
    this.held.clear();
    this.wakeRoomWaiters();
    await Promise.all([...this.threads].map((thread) => this.retire(thread)));
  }

  private spawn(): Promise<void> {
    const worker = startModuleThread(this.options.threadEntry, { workerData: { data: this.options.threadData }, alsoLoads: [this.options.threadData.tasksModule] });
    const thread: Thread = { worker, pending: new Map(), outbox: [], retiring: false, recycling: false, runs: 0, startedAt: Date.now() };
    const timeoutMs = this.options.readyTimeoutMs ?? 30_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new MillraceError('CONFIG_INVALID', `worker thread did not load ${this.options.threadData.tasksModule} within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: MillraceError): void => {
        clearTimeout(timer);
        void worker.terminate();
        reject(error);
      };
      const onStartError = (error: Error): void => fail(new MillraceError('CONFIG_INVALID', `worker thread failed to start: ${error.message}`));
      const onStartExit = (code: number): void => fail(new MillraceError('CONFIG_INVALID', `worker thread exited with code ${code} while loading ${this.options.threadData.tasksModule}`));
      worker.once('error', onStartError);
      worker.once('exit', onStartExit);
      worker.on('message', (message: FromThread) => {
        if (message.t === 'fatal') return fail(new MillraceError('CONFIG_INVALID', message.message));
        if (message.t !== 'ready') return this.onMessage(thread, message);
        clearTimeout(timer);
        this.catalog = new Map(message.tasks.map((t) => [t.name, t]));
        worker.off('error', onStartError);
        worker.off('exit', onStartExit);
        worker.on('error', (error: Error) => this.onCrash(thread, error));
        worker.on('exit', (code: number) => this.onCrash(thread, new Error(`thread exited with code ${code}`)));
        this.threads.add(thread);
        // Started while the pool closed (a replacement, a resize): it must not outlive the pool.
        if (this.closed) void this.retire(thread);
        else if (this.held.size > 0) this.releaseHeld();
        this.wakeRoomWaiters();
        resolve();
      });
    });
  }

  private onMessage(thread: Thread, message: FromThread): void {
    if (message.t === 'heartbeat') {
      thread.pending.get(message.id)?.onHeartbeat?.(message.progress);
      return;
    }
    if (message.t !== 'done') return;
    this.counters.busyMs += message.busyMs;
    const msPerRun = message.busyMs / Math.max(1, message.results.length);
    for (const { id, outcome } of message.results) {
      const run = thread.pending.get(id);
      if (run === undefined) continue;
      const estimate = this.runMs.get(run.name);
      this.runMs.set(run.name, estimate === undefined ? msPerRun : estimate + ESTIMATE_WEIGHT * (msPerRun - estimate));
      thread.pending.delete(id);
      run.cleanup();
      if (outcome.ok) this.counters.completed++;
      else this.counters.failed++;
      thread.runs++;
      // The body came from our own thread's encoder: a text is already checked, so a plain parse.
      run.resolve(outcome.ok ? { ok: true, output: typeof outcome.output === 'string' ? JSON.parse(outcome.output) as unknown : decodeMessageBody(outcome.output, TRUSTED_BODY_LIMITS, { owned: true }) } : outcome);
    }
    if (!thread.retiring && !thread.recycling && this.dueForRecycling(thread)) this.recycle(thread);
    if (thread.retiring && thread.pending.size === 0) void this.retire(thread);
    if (this.held.size > 0) this.releaseHeld();
    this.wakeRoomWaiters();
  }

  private dueForRecycling(thread: Thread): boolean {
    const recycle = this.options.recycle;
    if (recycle === undefined) return false;
    return (recycle.afterRuns !== undefined && thread.runs >= recycle.afterRuns) || (recycle.afterMs !== undefined && Date.now() - thread.startedAt >= recycle.afterMs);
  }

  /** A fresh thread in, then the old one out once it is idle: the pool never runs short while recycling. */
  private recycle(thread: Thread): void {
    thread.recycling = true;
    this.logger.info({ runs: thread.runs, aliveMs: Date.now() - thread.startedAt }, 'recycling a worker thread');
    this.spawn().then(
      () => {
        if (!this.threads.has(thread)) return;
        thread.retiring = true;
        this.counters.recycled++;
        if (thread.pending.size === 0) void this.retire(thread);
      },
      // The old thread stays in service; the next run due asks again.
      (error: Error) => {
        thread.recycling = false;
        this.logger.error({ error: error.message }, 'could not start a thread to replace a recycled one');
      },
    );
  }

  /** A dead thread's runs fail retryably; a replacement is started unless the pool is shrinking or closed. */
  private onCrash(thread: Thread, error: Error): void {
    if (!this.threads.delete(thread)) return;
    if (this.closed || thread.retiring) return this.failAll(thread, 'WORKER_POOL_CLOSED', 'the worker pool closed while the task ran');
    this.counters.crashes++;
    this.logger.error({ error: error.message, lostRuns: thread.pending.size }, 'worker thread crashed; starting a replacement');
    this.failAll(thread, 'WORKER_CRASHED', `the worker thread running this task crashed: ${error.message}`);
    this.spawn().catch((spawnError: Error) => this.logger.error({ error: spawnError.message }, 'could not replace a crashed worker thread'));
  }

  private failAll(thread: Thread, type: 'WORKER_CRASHED' | 'WORKER_POOL_CLOSED', message: string): void {
    for (const run of thread.pending.values()) {
      run.cleanup();
      this.counters.failed++;
      run.resolve({ ok: false, failure: { type, message, retryable: true } });
    }
    thread.pending.clear();
  }

  private async retire(thread: Thread): Promise<void> {
    this.threads.delete(thread);
    thread.worker.removeAllListeners('exit');
    thread.worker.removeAllListeners('error');
    this.failAll(thread, 'WORKER_POOL_CLOSED', 'the worker pool closed while the task ran');
    await thread.worker.terminate();
  }

  private flushOutbox(thread: Thread): void {
    if (thread.outbox.length === 0 || !this.threads.has(thread)) return;
    this.post(thread, { t: 'run', runs: thread.outbox });
    thread.outbox = [];
  }

  /** The turn's grouping thread while the estimated work allows, else the least-loaded thread (see the module comment). */
  private threadFor(name: string): Thread | undefined {
    const estimate = this.runMs.get(name);
    const turn = this.turn;
    if (estimate !== undefined && turn !== undefined && turn.ms + estimate <= GROUP_WORK_MS && this.threads.has(turn.thread) && !turn.thread.retiring) {
      turn.ms += estimate;
      return turn.thread;
    }
    const thread = this.leastLoaded();
    if (thread === undefined) return undefined;
    if (this.turn === undefined) setImmediate(() => (this.turn = undefined));
    // Not yet timed: counts as a full group, so the turn's next run goes elsewhere.
    this.turn = { thread, ms: estimate ?? GROUP_WORK_MS };
    return thread;
  }

  private leastLoaded(): Thread | undefined {
    let best: Thread | undefined;
    for (const thread of this.threads) {
      if (thread.retiring) continue;
      if (best === undefined || thread.pending.size < best.pending.size) best = thread;
    }
    return best;
  }

  private post(thread: Thread, message: ToThread): void {
    thread.worker.postMessage(message);
  }
}

function noCleanup(): void {}

/** Outputs from our own threads: as large as the claim-check lets a value be. */
const TRUSTED_BODY_LIMITS = { maxBytes: MAX_CLAIMED_BYTES };

function validSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > 1024) {
    throw new MillraceError('CONFIG_INVALID', `worker pool size must be an integer from 1 to 1024, got ${size}`, { size });
  }
  return size;
}
