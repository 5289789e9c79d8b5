/**
 * @module adapters/common/consumer-loop
 * The consumer every embedded queue runs: leases work into free slots, runs
 * the handler, settles what the handler left unsettled, and stops cleanly.
 *
 * One lease request is outstanding at a time, and it asks the store for
 * "as many as I have free *when you get to it*" (`capacity()`), so with a
 * group-committing store a whole tick of finished handlers becomes one
 * batch lease in the same transaction as their acks. A slot is freed as soon
 * as the handler returns and its settle is queued, not when the settle
 * commits: the store applies that settle before the next lease, so the rows
 * leased to a consumer never exceed `concurrency` at any commit.
 *
 * What makes the loop lease again:
 * - a handler finished (a slot freed);
 * - the queue's doorbell rang (a publish, nack or release in this process);
 * - the poll timer (every `pollIntervalMs`): delayed messages falling due,
 *   leases lapsing, writes by other processes. The poll also aborts the
 *   `signal` of deliveries whose lease ran out.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { MillraceError, hasCode, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Consumer, DeliveryHandler } from '../../ports/task-queue.js';
import { QueueDelivery } from './queue-delivery.js';
import type { DeliveryHost } from './queue-delivery.js';
import type { LeaseTarget, LeasedMessage, QueueStore, WakeHub } from './queue-store.js';

/** What consumer loops share with their queue. */
export interface ConsumerContext {
  readonly store: QueueStore;
  readonly hub: WakeHub;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
}

/** Validated `ConsumeOptions`. */
export interface ConsumerSettings {
  concurrency: number;
  leaseMs: number;
}

type LoopState = 'running' | 'draining' | 'stopped';

/** A running consumer of one queue. */
export class ConsumerLoop implements Consumer, DeliveryHost {
  readonly store: QueueStore;
  readonly leaseMs: number;
  private state: LoopState = 'running';
  /** Deliveries whose handler is running and whose lease this loop still holds. */
  private readonly held = new Set<QueueDelivery>();
  private readonly settles = new Set<Promise<unknown>>();
  private leasing: Promise<void> | undefined;
  /** The doorbell rang while a lease was outstanding: lease again once it returns. */
  private rung = false;
  private pollTimer: Timer | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly context: ConsumerContext,
    private readonly queue: string,
    private readonly handler: DeliveryHandler,
    private readonly settings: ConsumerSettings,
    private readonly onStopped: (loop: ConsumerLoop) => void,
  ) {
    this.store = context.store;
    this.leaseMs = settings.leaseMs;
  }

  start(): void {
    this.unsubscribe = this.context.hub.subscribe(this.queue, () => this.pump());
    this.schedulePoll();
    this.pump();
  }

  stop(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain === false) this.releaseHeld();
    this.stopping ??= this.finishStop();
    return this.stopping;
  }

  wake(queue: string): void {
    this.context.hub.ring(queue);
  }

  track(settle: Promise<unknown>): void {
    this.settles.add(settle);
    const forget = (): void => {
      this.settles.delete(settle);
    };
    settle.then(forget, forget);
  }

  private free(): number {
    return this.state === 'running' ? this.settings.concurrency - this.held.size : 0;
  }

  private pump(): void {
    if (this.state !== 'running') return;
    if (this.leasing !== undefined) {
      this.rung = true;
      return;
    }
    if (this.free() <= 0) return;
    this.rung = false;
    this.leasing = this.store
      .lease({ queue: this.queue, leaseMs: this.leaseMs, capacity: () => this.free() })
      .then(
        (messages) => {
          this.leasing = undefined;
          for (const message of messages) this.dispatch(message);
          if (this.rung) this.pump();
        },
        (error: unknown) => {
          this.leasing = undefined;
          // The next poll tries again; a closed store means we are shutting down.
          if (!hasCode(error, 'QUEUE_CLOSED')) this.context.logger.warn({ queue: this.queue, err: messageOf(error) }, 'lease failed; retrying at next poll');
        },
      );
  }

  private dispatch(message: LeasedMessage): void {
    const delivery = new QueueDelivery(this, message);
    if (this.state !== 'running') {
      // Leased while we were stopping: hand it straight back.
      const target = delivery.release(this.stoppedError());
      if (target !== undefined) this.track(this.store.release([target]));
      return;
    }
    this.held.add(delivery);
    let running: Promise<void>;
    try {
      running = this.handler(delivery);
    } catch (error) {
      running = Promise.reject(error);
    }
    Promise.resolve(running).then(
      () => this.finish(delivery, undefined),
      (error: unknown) => this.finish(delivery, { error }),
    );
  }

  /** The handler returned: settle what it left, free the slot, go on. */
  private finish(delivery: QueueDelivery, failure: { error: unknown } | undefined): void {
    this.held.delete(delivery);
    if (delivery.unsettled) {
      const settle = failure === undefined
        ? delivery.ack()
        : delivery.nack({ requeue: true, reason: `handler failed: ${messageOf(failure.error)}` });
      settle.catch((error: unknown) => {
        this.context.logger.warn({ queue: this.queue, messageId: delivery.id, attempt: delivery.attempt, err: messageOf(error) }, 'automatic settle failed');
      });
    } else if (failure !== undefined) {
      this.context.logger.debug({ queue: this.queue, messageId: delivery.id, err: messageOf(failure.error) }, 'handler threw after settling');
    }
    if (this.held.size === 0) this.onIdle?.();
    this.pump();
  }

  private releaseHeld(): void {
    const targets: LeaseTarget[] = [];
    for (const delivery of this.held) {
      const target = delivery.release(this.stoppedError());
      if (target !== undefined) targets.push(target);
    }
    this.held.clear();
    if (targets.length > 0) {
      this.track(this.store.release(targets).then(() => this.context.hub.ring(this.queue)));
    }
    this.onIdle?.();
  }

  private async finishStop(): Promise<void> {
    this.state = 'draining';
    this.unsubscribe?.();
    if (this.held.size > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    this.state = 'stopped';
    this.pollTimer?.cancel();
    // A lease still in flight dispatches into release; wait for that and every settle.
    while (this.leasing !== undefined || this.settles.size > 0) {
      await this.leasing;
      await Promise.allSettled([...this.settles]);
    }
    this.onStopped(this);
  }

  private schedulePoll(): void {
    this.pollTimer = this.context.clock.setTimer(() => this.poll(), this.context.pollIntervalMs);
  }

  private poll(): void {
    if (this.state === 'stopped') return;
    const now = this.context.clock.now();
    for (const delivery of this.held) if (delivery.leaseUntil <= now) delivery.leaseExpired();
    this.pump();
    this.schedulePoll();
  }

  private stoppedError(): MillraceError {
    return new MillraceError('QUEUE_LEASE_LOST', `consumer of ${this.queue} stopped without draining; the delivery was released`, { queue: this.queue });
  }
}
