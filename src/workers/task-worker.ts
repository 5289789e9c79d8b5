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
 * second result carries the same `taskId`, and the receiver drops it. A
 * failure is retried (nack with backoff) while the task's policy allows;
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
import type { WorkerPool } from './worker-pool.js';

export interface TaskWorkerOptions {
  queue: TaskQueue;
  pool: WorkerPool;
  /** Queue to consume. @defaultValue `'tasks'` */
  queueName?: string;
  /** Tasks in flight at once. @defaultValue 16 per pool thread */
  concurrency?: number;
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

export class TaskWorker {
  private consumer: Consumer | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly counters: TaskWorkerStats = { succeeded: 0, retried: 0, failed: 0, deadLettered: 0, redeliveries: 0 };
  /** Running tasks by process id, to abort them when their process is cancelled. */
  private readonly running = new Map<string, Set<AbortController>>();
  private controlFeed: AbortController | undefined;

  constructor(private readonly options: TaskWorkerOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.logger = (options.logger ?? silentLogger).child({ component: 'task-worker', queue: this.queueName });
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
    const concurrency = this.options.concurrency ?? this.options.pool.stats.size * 16;
    this.consumer = this.options.queue.consume(this.queueName, (delivery) => this.handle(delivery), {
      concurrency,
      leaseMs: this.leaseMs,
    });
  }

  /** Stops consuming; with `drain` (default) waits for tasks in hand, otherwise returns them to the queue. */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop(options);
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
          for (const controller of this.running.get(notice.processId) ?? []) controller.abort(new Error(`process cancelled: ${String(notice.reason)}`));
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
    const started = this.clock.now();
    const outcome = await this.runWithLease(delivery, payload);
    if (delivery.signal.aborted) return; // lease lost or consumer stopped: the queue redelivers it
    await this.settle(delivery, payload, outcome, this.clock.now() - started);
  }

  private async runWithLease(delivery: Delivery, payload: TaskPayload): Promise<TaskOutcome> {
    const abort = new AbortController();
    const onLeaseLost = (): void => abort.abort(delivery.signal.reason);
    delivery.signal.addEventListener('abort', onLeaseLost, { once: true });
    const processId = payload.attempt === undefined ? undefined : payload.taskId.split('/')[0]!;
    if (processId !== undefined) this.track(processId, abort, true);
    let timer: Timer | undefined;
    const extend = (): void => {
      timer = this.clock.setTimer(() => {
        delivery.extendLease(this.leaseMs).then(extend, (error: unknown) => {
          if (!hasCode(error, 'QUEUE_LEASE_LOST')) this.logger.warn({ taskId: payload.taskId, error: messageOf(error) }, 'lease extension failed');
        });
      }, this.leaseMs / 3);
    };
    extend();
    try {
      return await this.options.pool.run(
        { taskId: payload.taskId, name: delivery.name, input: payload.input, attempt: payload.attempt ?? delivery.attempt, timeoutMs: payload.timeoutMs },
        { signal: abort.signal },
      );
    } finally {
      timer?.cancel();
      delivery.signal.removeEventListener('abort', onLeaseLost);
      if (processId !== undefined) this.track(processId, abort, false);
    }
  }

  private track(processId: string, controller: AbortController, add: boolean): void {
    const set = this.running.get(processId) ?? new Set<AbortController>();
    if (add) {
      set.add(controller);
      this.running.set(processId, set);
    } else {
      set.delete(controller);
      if (set.size === 0) this.running.delete(processId);
    }
  }

  private async settle(delivery: Delivery, payload: TaskPayload, outcome: TaskOutcome, durationMs: number): Promise<void> {
    const result: TaskResult = { taskId: payload.taskId, name: delivery.name, attempt: payload.attempt ?? delivery.attempt, ok: outcome.ok, durationMs };
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
    await this.options.queue.publish(payload.resultQueue, {
      id: `${payload.taskId}#${result.attempt}`,
      name: TASK_RESULT_MESSAGE,
      payload: result,
      maxAttempts: 1_000,
    });
    return false;
  }

  private policyFor(name: string): RetryPolicy {
    return this.options.pool.task(name)?.retry ?? DEFAULT_RETRY_POLICY;
  }
}

function describe(failure: TaskFailure, attempt: number): string {
  return `${failure.type}: ${failure.message} (attempt ${attempt}${failure.retryable ? '' : ', not retryable'})`;
}
