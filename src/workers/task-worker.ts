/**
 * @module workers/task-worker
 * Binds a task queue to a worker pool: takes deliveries, runs them on the
 * threads, and settles them.
 *
 * The order of effects is what makes delivery at-least-once and results
 * exactly-once downstream:
 *
 * ```
 * delivery ─▶ run on a thread ─▶ publish TaskResult (durable) ─▶ ack
 * ```
 *
 * A crash after the publish and before the ack redelivers the task; its
 * second result carries the same `taskId`, and the receiver drops it. When
 * the receiver lives in this process (`localResults`: the embedded
 * orchestrator), the result is handed to it directly and the ack waits
 * until it has stored the result: the same order of effects, without the
 * queue round trip.
 *
 * A failure is retried (nack with backoff) while the task's policy allows;
 * after that — or at once for a non-retryable failure such as an unknown
 * task name — the failure is published and the message is dead-lettered.
 * While a task runs, its lease is extended so a long task is not handed to
 * a second worker.
 */
import { SystemClock, type Clock, type Timer } from '../core/clock.js';
import { hasCode, messageOf } from '../core/errors.js';
import type { TaskFailure } from '../core/failure.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Log } from '../ports/log.js';
import type { Consumer, Delivery, TaskQueue } from '../ports/task-queue.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, shouldRetry, type RetryPolicy } from './retry-policy.js';
import { TASK_RESULT_MESSAGE, parseTaskPayload, type TaskPayload, type TaskResult } from './task-message.js';
import type { TaskOutcome } from './thread-protocol.js';
import { LocalDelivery, LocalDispatch, type LocalDispatchOptions, type LocalTaskTarget } from './local-dispatch.js';
import { RunSlots } from './run-slots.js';
import type { WorkerPool } from './worker-pool.js';

export interface TaskWorkerOptions {
  queue: TaskQueue;
  pool: WorkerPool;
  /** Queue to consume. @defaultValue `'tasks'` */
  queueName?: string;
  /** Tasks in flight at once. @defaultValue 16 per pool thread */
  concurrency?: number;
  /**
   * Deliveries taken beyond `concurrency`, waiting (their leases kept) for
   * a run to end. A finished task's result is stored and its delivery
   * acked while the next one already runs, instead of the worker waiting
   * for both before it asks for more: a 10,000-task fan-out of no-op tasks
   * took 7–15% less time (`npm run bench -- dag`, alternated runs). The price, as
   * with RabbitMQ's or Celery's prefetch: a worker holds that many tasks
   * that another, idle worker could have run. For long tasks spread over
   * several workers, 0. @defaultValue `concurrency`
   */
  prefetch?: number;
  /** Lease per delivery; extended every third of it while the task runs. @defaultValue 30 000 ms */
  leaseMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** For deterministic backoff jitter in tests. @defaultValue Math.random */
  random?: () => number;
  /**
   * Where cancel notices of processes appear (see jobs/receptor): a running
   * task of a cancelled process gets its abort signal. @defaultValue none
   */
  control?: { log: Log; topic: string };
  /**
   * Takes final results addressed to a result queue whose consumer runs in
   * this process, skipping the queue. See {@link LocalResultSink}.
   * @defaultValue none: every result is published
   */
  localResults?: LocalResultSink;
  /** This worker's tags, joined with `,`, stamped on its results (see `TaskResult.tag`). @defaultValue none: untagged */
  tag?: string;
  /**
   * Takes task messages handed over in-process (see workers/local-dispatch):
   * {@link TaskWorker.localTarget} is then what an orchestrator in this
   * process offers them to. @defaultValue none: tasks come from the queue only
   */
  localDispatch?: LocalDispatchOptions;
}

/**
 * Receives a task's final result in-process. It resolves `true` only once
 * the result is durable where it is going (the delivery is acked right
 * after), and `false` when it does not take results for `queue` at the
 * moment; then, or when it rejects, the result is published to `queue`.
 */
export type LocalResultSink = (queue: string, result: TaskResult) => Promise<boolean>;

/** A task running on the pool, as the worker tracks it to abort it. */
interface RunInHand {
  abort(reason: string): void;
  /** Its lease is gone (lost, or given back by a stop without drain): the queue redelivers the task, so it is not settled. */
  leaseGone: boolean;
}

/** Counters since the worker started. */
export interface TaskWorkerStats {
  succeeded: number;
  retried: number;
  failed: number;
  deadLettered: number;
  /** Deliveries with attempt > 1 (after a nack, a crash or a lost lease). */
  redeliveries: number;
}

/** Counts of several workers (or consumers) added up. */
export function sumWorkerStats(all: readonly TaskWorkerStats[]): TaskWorkerStats {
  const total: TaskWorkerStats = { succeeded: 0, retried: 0, failed: 0, deadLettered: 0, redeliveries: 0 };
  for (const stats of all) for (const key of Object.keys(total) as Array<keyof TaskWorkerStats>) total[key] += stats[key];
  return total;
}

export class TaskWorker {
  private consumer: Consumer | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly counters: TaskWorkerStats = { succeeded: 0, retried: 0, failed: 0, deadLettered: 0, redeliveries: 0 };
  /** Tasks on the pool, to abort them when the worker stops without draining. */
  private readonly inHand = new Set<RunInHand>();
  /** Running tasks by process id, to abort them when their process is cancelled. */
  private readonly running = new Map<string, Set<RunInHand>>();
  private controlFeed: AbortController | undefined;

  private concurrencyLimit: number | undefined;
  /** Runs at once: the consumer takes `concurrency + prefetch` deliveries, and those beyond wait here. */
  private readonly slots = new RunSlots(() => this.concurrency);
  /** Set by a stop without draining: waiting deliveries are given back, not run. */
  private abandoned = false;
  private readonly local: LocalDispatch | undefined;

  constructor(private readonly options: TaskWorkerOptions) {
    this.concurrencyLimit = options.concurrency;
    this.clock = options.clock ?? new SystemClock();
    this.logger = (options.logger ?? silentLogger).child({ component: 'task-worker', queue: this.queueName });
    this.local = options.localDispatch === undefined ? undefined : new LocalDispatch({
      queue: options.queue, queueName: this.queueName, clock: this.clock, logger: this.logger,
      knows: (name) => options.pool.task(name) !== undefined,
      run: (delivery) => this.handle(delivery),
    }, options.localDispatch);
  }

  /** Where an orchestrator in this process hands task messages, when `localDispatch` is set. */
  get localTarget(): LocalTaskTarget | undefined {
    return this.local;
  }

  /** Tasks handed over in-process and waiting for a run slot. */
  get localWaiting(): number {
    return this.local?.waitingCount ?? 0;
  }

  get queueName(): string {
    return this.options.queueName ?? 'tasks';
  }

  get stats(): TaskWorkerStats {
    return { ...this.counters };
  }

  /** Starts consuming (and following cancel notices, when `control` is set). */
  async start(): Promise<void> {
    if (this.consumer !== undefined) return;
    if (this.options.control !== undefined) await this.followCancels(this.options.control.log, this.options.control.topic);
    this.abandoned = false;
    this.consumer = this.options.queue.consume(this.queueName, (delivery) => this.handle(delivery), {
      concurrency: this.concurrency + this.prefetch,
      leaseMs: this.leaseMs,
    });
    this.local?.start();
  }

  /**
   * Changes how many tasks are in flight at once, live: a consumer with the
   * new limit takes over, and the old one stops taking deliveries and
   * finishes those it holds. Nothing is lost or run twice; for a moment
   * both may hold tasks.
   */
  async setConcurrency(concurrency: number): Promise<void> {
    const previous = this.consumer;
    this.concurrencyLimit = concurrency;
    this.slots.limitChanged();
    if (previous === undefined) return;
    this.consumer = this.options.queue.consume(this.queueName, (delivery) => this.handle(delivery), { concurrency: concurrency + this.prefetch, leaseMs: this.leaseMs });
    await previous.stop({ drain: true });
  }

  get concurrency(): number {
    return this.concurrencyLimit ?? this.options.pool.stats.size * 16;
  }

  /** Deliveries held beyond `concurrency`, waiting for a run to end. */
  get prefetch(): number {
    return this.options.prefetch ?? this.concurrency;
  }

  /** Stops consuming; with `drain` (default) waits for tasks in hand, otherwise returns them to the queue. */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    // Tasks handed over in-process and not yet running go to the queue; those running finish, or are given back below.
    this.local?.stopTaking();
    if (options.drain === false && consumer !== undefined) {
      this.abandoned = true;
      for (const run of this.inHand) {
        run.leaseGone = true;
        run.abort('the worker stopped without draining');
      }
    }
    await consumer?.stop(options);
    await this.local?.settledAll();
    this.controlFeed?.abort();
    this.controlFeed = undefined;
  }

  /** Follows the control topic from its end: only cancels issued from now on matter to the tasks we will run. */
  private async followCancels(log: Log, topic: string): Promise<void> {
    await log.createTopic(topic, { partitions: 1 });
    const from = (await log.topicInfo(topic)).endOffsets[0] ?? 0;
    const feed = new AbortController();
    this.controlFeed = feed;
    void (async () => {
      try {
        for await (const record of log.tail(topic, 0, from, { signal: feed.signal })) {
          const notice = record.value as { type?: unknown; processId?: unknown; reason?: unknown };
          if (notice.type !== 'cancel' || typeof notice.processId !== 'string') continue;
          for (const run of this.running.get(notice.processId) ?? []) run.abort(`process cancelled: ${String(notice.reason)}`);
        }
      } catch (error) {
        if (!feed.signal.aborted) this.logger.error({ error: messageOf(error) }, 'stopped following cancel notices');
      }
    })();
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 30_000;
  }

  private async handle(delivery: Delivery): Promise<void> {
    if (delivery.attempt > 1) this.counters.redeliveries++;
    let payload: TaskPayload;
    try {
      payload = parseTaskPayload(delivery.payload);
    } catch (error) {
      this.counters.deadLettered++;
      this.logger.error({ messageId: delivery.id, error: messageOf(error) }, 'invalid task message; dead-lettered');
      await delivery.nack({ requeue: false, reason: messageOf(error) });
      return;
    }
    const run: RunInHand = { abort: () => undefined, leaseGone: false };
    const local = delivery instanceof LocalDelivery ? delivery : undefined;
    const lease = local !== undefined ? NO_LEASE : this.holdLease(delivery, payload, run);
    try {
      await this.slots.acquire();
      let slotHeld = true;
      try {
        // Handed over in-process, a task is claimed only once a thread has room for it (`perThread`):
        // claimed earlier, it would wait in the pool, out of reach of idle workers elsewhere.
        const pool = this.options.pool;
        while (local?.state === 'waiting' && !this.abandoned && !pool.hasRoomFor(local.name)) await pool.roomChanged();
        // Released by a stop without draining while it waited, its lease lost, or (handed over in-process) spilled: the queue hands it out again.
        if (this.abandoned || run.leaseGone || local?.claimRun() === false) return;
        const started = this.clock.now();
        const outcome = await this.runOnPool(delivery, payload, run);
        this.slots.release(); // the next delivery runs while this one's result is stored
        slotHeld = false;
        if (run.leaseGone) return; // the queue redelivers it
        await this.settle(delivery, payload, outcome, this.clock.now() - started);
      } finally {
        if (slotHeld) this.slots.release();
      }
    } finally {
      lease.cancel();
    }
  }

  /**
   * Extends the delivery's lease from the moment it arrives (it may wait
   * for a run slot) until it is settled. A lease found lost (an extension
   * refused) aborts the run, if one started. The worker learns this itself
   * rather than by listening to `delivery.signal`: that signal, the run's
   * own `AbortController` and their listeners took a quarter of the main
   * thread's time per no-op task. Should an extension fail otherwise, the
   * extensions stop and the lease will lapse, so from then on the
   * delivery's signal is followed (the queue aborts it when the lease runs
   * out).
   */
  private holdLease(delivery: Delivery, payload: TaskPayload, run: RunInHand): { cancel(): void } {
    const loseLease = (reason: string): void => {
      run.leaseGone = true;
      run.abort(reason);
    };
    let timer: Timer;
    const extend = (): void => {
      timer = this.clock.setTimer(() => {
        delivery.extendLease(this.leaseMs).then(extend, (error: unknown) => {
          if (hasCode(error, 'QUEUE_LEASE_LOST')) return loseLease(messageOf(error));
          this.logger.warn({ taskId: payload.taskId, error: messageOf(error) }, 'lease extension failed');
          const signal = delivery.signal;
          if (signal.aborted) loseLease(messageOf(signal.reason));
          else signal.addEventListener('abort', () => loseLease(messageOf(signal.reason)), { once: true });
        });
      }, this.leaseMs / 3);
    };
    extend();
    return { cancel: () => timer.cancel() };
  }

  /** Runs the task on the pool; it can be aborted through `run` (lease lost, stop without drain, process cancelled). */
  private async runOnPool(delivery: Delivery, payload: TaskPayload, run: RunInHand): Promise<TaskOutcome> {
    // A closed pool throws: the handler fails and the consumer requeues the task, as before any run.
    // Replies may carry bytes; a job's result is kept in its process's events, which are JSON.
    const resultToEvents = !delivery.expectsReply && payload.resultQueue !== undefined;
    const started = this.options.pool.startRun({ taskId: payload.taskId, name: delivery.name, input: payload.input, attempt: payload.attempt ?? delivery.attempt, timeoutMs: payload.timeoutMs, resultToEvents });
    run.abort = started.abort;
    const processId = payload.attempt === undefined ? undefined : payload.taskId.split('/')[0]!;
    this.inHand.add(run);
    if (processId !== undefined) this.track(processId, run, true);
    try {
      return await started.outcome;
    } finally {
      this.inHand.delete(run);
      if (processId !== undefined) this.track(processId, run, false);
    }
  }

  private track(processId: string, run: RunInHand, add: boolean): void {
    const set = this.running.get(processId) ?? new Set<RunInHand>();
    if (add) {
      set.add(run);
      this.running.set(processId, set);
    } else {
      set.delete(run);
      if (set.size === 0) this.running.delete(processId);
    }
  }

  private async settle(delivery: Delivery, payload: TaskPayload, outcome: TaskOutcome, durationMs: number): Promise<void> {
    const result: TaskResult = { taskId: payload.taskId, name: delivery.name, attempt: payload.attempt ?? delivery.attempt, ok: outcome.ok, durationMs, ...(this.options.tag !== undefined ? { tag: this.options.tag } : {}) };
    if (outcome.ok) {
      result.output = outcome.output;
      if (!(await this.report(delivery, payload, result))) await delivery.ack();
      this.counters.succeeded++;
      return;
    }
    const failure = outcome.failure;
    if (payload.attempt !== undefined) {
      // The process owns retries: report the failure and let it decide.
      result.failure = failure;
      this.counters.failed++;
      if (!(await this.report(delivery, payload, result))) await delivery.ack();
      return;
    }
    const policy = this.policyFor(delivery.name);
    if (shouldRetry(policy, failure, delivery.attempt) && delivery.attempt < delivery.maxAttempts) {
      const delayMs = retryDelayMs(policy, delivery.attempt, this.options.random);
      this.counters.retried++;
      this.logger.warn({ taskId: payload.taskId, attempt: delivery.attempt, delayMs, failure }, 'task failed; retrying');
      await delivery.nack({ requeue: true, delayMs, reason: failure.message });
      return;
    }
    result.failure = failure;
    this.counters.failed++;
    this.logger.error({ taskId: payload.taskId, attempt: delivery.attempt, failure }, 'task failed for good');
    if (await this.report(delivery, payload, result)) return; // the requester has the failure; nothing to dead-letter
    this.counters.deadLettered++;
    await delivery.nack({ requeue: false, reason: describe(failure, delivery.attempt) });
  }

  /** Publishes the final result; returns true when that also settled the delivery (a reply). */
  private async report(delivery: Delivery, payload: TaskPayload, result: TaskResult): Promise<boolean> {
    if (delivery.expectsReply) {
      await delivery.reply(result);
      return true;
    }
    if (payload.resultQueue === undefined) return false;
    if (await this.reportLocally(payload.resultQueue, result)) return false;
    await this.options.queue.publish(payload.resultQueue, {
      id: `${payload.taskId}#${result.attempt}`,
      name: TASK_RESULT_MESSAGE,
      payload: result,
      maxAttempts: 1_000,
    });
    return false;
  }

  private async reportLocally(queue: string, result: TaskResult): Promise<boolean> {
    const sink = this.options.localResults;
    if (sink === undefined) return false;
    try {
      return await sink(queue, result);
    } catch (error) {
      this.logger.warn({ taskId: result.taskId, error: messageOf(error) }, 'could not apply the result in-process; publishing it instead');
      return false;
    }
  }

  private policyFor(name: string): RetryPolicy {
    return this.options.pool.task(name)?.retry ?? DEFAULT_RETRY_POLICY;
  }
}

/** A task handed over in-process holds no lease. */
const NO_LEASE = { cancel: (): void => undefined };

function describe(failure: TaskFailure, attempt: number): string {
  return `${failure.type}: ${failure.message} (attempt ${attempt}${failure.retryable ? '' : ', not retryable'})`;
}
