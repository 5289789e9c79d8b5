/**
 * @module workers/local-dispatch
 * Task messages handed to a worker in the orchestrator's own process,
 * without the task queue: the receptor offers each scheduled task, and a
 * worker that can run it takes it (Temporal calls this eager activity
 * dispatch). The queue's publish, lease and ack (three SQLite commits'
 * worth of work and two encodings per task) were about a quarter of a
 * 10,000-task fan-out's wall time (`npm run bench -- dag`).
 *
 * Nothing is lost by skipping the queue, because the queue was never the
 * only copy: the task's `TaskScheduled` event is already durable, and the
 * receptor does not checkpoint past a task handed over here until the
 * task is *settled* — its result stored (the worker's ack), or the message
 * published to the queue after all. A crash in between makes the receptor
 * offer the task again on restart, as it would publish it again.
 *
 * A task taken here waits for one of the worker's run slots like a queued
 * delivery, and a `perThread` task also for a thread with room (the worker
 * claims it only then: see TaskWorker.handle). So that a worker holding many tasks does not keep them from
 * idle workers elsewhere, a task still waiting after `spillAfterMs` is
 * published to the queue (spilled), where any worker can lease it; and at
 * most `backlog` tasks are held at once.
 */
import type { Clock, Timer } from '../core/clock.js';
import { MillraceError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Delivery, NackOptions, OutgoingMessage, TaskQueue } from '../ports/task-queue.js';

/** A task message offered in-process, and what to call once it needs nothing more from its sender. */
export interface OfferedTask {
  readonly message: OutgoingMessage;
  /** Called once: the task's result is stored, or its message is on the queue. */
  settled(): void;
}

/** Takes task messages in-process (see the module). */
export interface LocalTaskTarget {
  /** Takes the tasks it will run; returns the rest, for the queue. */
  offer(queue: string, tasks: readonly OfferedTask[]): OfferedTask[];
}

export interface LocalDispatchOptions {
  /** Tasks held at once, running or waiting; beyond it, offers go to the queue. @defaultValue 10 000 */
  backlog?: number;
  /** A task waiting longer than this for a run slot (a `perThread` task: or for a thread with room) is published to the queue for other workers. @defaultValue 1000 ms */
  spillAfterMs?: number;
}

/** What the dispatch needs of its worker. */
export interface LocalDispatchHost {
  queue: TaskQueue;
  queueName: string;
  clock: Clock;
  logger: Logger;
  /** Whether this worker's threads know the task. */
  knows(name: string): boolean;
  /** Runs the delivery as a queued one would run (the worker's `handle`). */
  run(delivery: LocalDelivery): Promise<void>;
}

const NEVER_ABORTED: AbortSignal = new AbortController().signal;

type LocalState = 'waiting' | 'running' | 'spilled';

/**
 * A task taken in-process, as the worker's delivery. Acking means the
 * result is stored; a nack, or a run that ends without either (the worker
 * stopped), hands the message to the queue.
 */
export class LocalDelivery implements Delivery {
  readonly id: string;
  readonly name: string;
  readonly payload: unknown;
  readonly priority: number;
  readonly attempt = 1;
  readonly maxAttempts: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly expectsReply = false;
  readonly signal: AbortSignal = NEVER_ABORTED;
  state: LocalState = 'waiting';
  /** How the worker settled it: acked, nacked (with options), or not at all. */
  settlement: 'ack' | NackOptions | undefined;

  constructor(readonly queue: string, readonly task: OfferedTask, readonly publishedAt: number, private readonly onRun: (delivery: LocalDelivery) => void) {
    const message = task.message;
    this.id = message.id ?? `${message.name}@${publishedAt}`;
    this.name = message.name;
    this.payload = message.payload;
    this.priority = message.priority ?? 0;
    this.maxAttempts = message.maxAttempts ?? 5;
    this.headers = message.headers ?? {};
  }

  /** The worker has a run slot for it: true if it is still this worker's to run (not spilled). */
  claimRun(): boolean {
    if (this.state !== 'waiting') return false;
    this.state = 'running';
    this.onRun(this);
    return true;
  }

  async ack(): Promise<void> {
    this.settlement = 'ack';
  }

  async nack(options: NackOptions = {}): Promise<void> {
    this.settlement = options;
  }

  async extendLease(): Promise<void> {
    // No lease: nobody else can be handed this task while it is here.
  }

  async reply(): Promise<void> {
    throw new Error('a task handed over in-process expects no reply');
  }
}

/** The tasks a worker holds in-process, and their way to the queue when they are not run here. */
export class LocalDispatch implements LocalTaskTarget {
  private open = false;
  /** Tasks taken and not yet settled: waiting, running, or on their way to the queue (bounded by `backlog`). */
  private held = 0;
  /** Taken and not yet running, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Set<LocalDelivery>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Messages that must reach the queue (spilled, or not settled here) and have not yet. */
  private unpublished: LocalDelivery[] = [];
  private timer: Timer | undefined;

  /** Tasks held at once (see {@link LocalDispatchOptions.backlog}). */
  readonly backlog: number;
  /** See {@link LocalDispatchOptions.spillAfterMs}. */
  readonly spillAfterMs: number;

  /** @throws `CONFIG_INVALID` naming the option */
  constructor(private readonly host: LocalDispatchHost, options: LocalDispatchOptions = {}) {
    const { backlog = 10_000, spillAfterMs = 1000 } = options;
    if (!(Number.isSafeInteger(backlog) && backlog >= 0)) {
      throw new MillraceError('CONFIG_INVALID', `localDispatch.backlog must be a whole number of tasks, 0 or more (0 takes none), got ${String(backlog)}`);
    }
    if (!(Number.isFinite(spillAfterMs) && spillAfterMs >= 0)) {
      throw new MillraceError('CONFIG_INVALID', `localDispatch.spillAfterMs must be a number of milliseconds, 0 or more, got ${String(spillAfterMs)}`);
    }
    this.backlog = backlog;
    this.spillAfterMs = spillAfterMs;
  }

  /** Tasks waiting for a run slot (the worker's local backlog, next to the queue's). */
  get waitingCount(): number {
    return this.waiting.size;
  }

  start(): void {
    this.open = true;
  }

  offer(queue: string, tasks: readonly OfferedTask[]): OfferedTask[] {
    if (!this.open || queue !== this.host.queueName) return [...tasks];
    const rest: OfferedTask[] = [];
    const now = this.host.clock.now();
    for (const task of tasks) {
      // Delayed messages (retries with backoff) wait in the queue, which keeps time for them.
      if (this.held >= this.backlog || (task.message.delayMs ?? 0) > 0 || !this.host.knows(task.message.name)) rest.push(task);
      else this.take(new LocalDelivery(queue, task, now, this.leftWaiting));
    }
    if (this.waiting.size > 0) this.armSpill();
    return rest;
  }

  /** Takes no more tasks, and publishes those still waiting for a run slot. */
  stopTaking(): void {
    this.open = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.spill([...this.waiting]);
  }

  /**
   * Resolves once every task taken is settled: run to the end (the worker
   * drained), or back on the queue (the worker gave its runs up).
   */
  async settledAll(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    await this.publishPending();
    if (this.unpublished.length > 0) {
      this.host.logger.error({ tasks: this.unpublished.length }, 'could not hand tasks back to the queue on stop; the receptor offers them again after a restart');
    }
  }

  private readonly leftWaiting = (delivery: LocalDelivery): void => {
    this.waiting.delete(delivery);
  };

  private take(delivery: LocalDelivery): void {
    this.held++;
    this.waiting.add(delivery);
    const running = this.host.run(delivery).then(
      () => this.finish(delivery),
      (error: unknown) => {
        this.host.logger.warn({ taskId: delivery.id, error: messageOf(error) }, 'a task handed over in-process failed to run; publishing it');
        return this.finish(delivery);
      },
    ).finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  private async finish(delivery: LocalDelivery): Promise<void> {
    this.waiting.delete(delivery);
    if (delivery.state === 'spilled') return; // the spill owns it
    if (delivery.settlement === 'ack') {
      this.held--;
      delivery.task.settled();
      return;
    }
    this.unpublished.push(delivery);
    await this.publishPending();
  }

  private armSpill(): void {
    if (this.timer !== undefined) return;
    this.timer = this.host.clock.setTimer(() => {
      this.timer = undefined;
      const before = this.host.clock.now() - this.spillAfterMs;
      const due: LocalDelivery[] = [];
      for (const delivery of this.waiting) {
        if (delivery.publishedAt > before) break;
        due.push(delivery);
      }
      this.spill(due);
      if (this.waiting.size > 0 || this.unpublished.length > 0) this.armSpill();
    }, Math.max(1, this.spillAfterMs / 2));
  }

  /** Moves waiting tasks to the queue; they will not run here. */
  private spill(deliveries: LocalDelivery[]): void {
    if (deliveries.length === 0 && this.unpublished.length === 0) return;
    for (const delivery of deliveries) {
      delivery.state = 'spilled';
      this.waiting.delete(delivery);
      this.unpublished.push(delivery);
    }
    const publishing = this.publishPending().finally(() => this.inFlight.delete(publishing));
    this.inFlight.add(publishing);
  }

  /**
   * Publishes what must reach the queue, then settles it. A failed publish
   * keeps the tasks for the next try (the spill timer, or stop): they stay
   * unsettled, so the receptor's checkpoint stays before them.
   */
  private async publishPending(): Promise<void> {
    if (this.unpublished.length === 0) return;
    const batch = this.unpublished;
    this.unpublished = [];
    try {
      await this.host.queue.publish(this.host.queueName, batch.map((delivery) => withDelay(delivery)));
    } catch (error) {
      this.host.logger.warn({ tasks: batch.length, error: messageOf(error) }, 'could not publish tasks handed back to the queue; will try again');
      this.unpublished.push(...batch);
      if (this.open) this.armSpill();
      return;
    }
    for (const delivery of batch) {
      this.held--;
      delivery.task.settled();
    }
  }
}

/** The message as offered, delayed as the worker's nack asked. */
function withDelay(delivery: LocalDelivery): OutgoingMessage {
  const settlement = delivery.settlement;
  const delayMs = typeof settlement === 'object' && settlement.requeue !== false ? settlement.delayMs ?? 0 : 0;
  return delayMs > 0 ? { ...delivery.task.message, delayMs } : delivery.task.message;
}
