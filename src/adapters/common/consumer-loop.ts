/**
 * @module adapters/common/consumer-loop
 * The consumer every embedded queue runs: leases work into free slots, runs
 * the handler, settles what the handler left unsettled, and stops cleanly.
 *
 * One lease request is outstanding at a time, and it asks the store for
 * "as many as I can take *when you get to it*" (`capacity()`), so with a
 * group-committing store a whole tick of finished handlers becomes one batch
 * lease in the same transaction as their acks.
 *
 * A slot counts as reusable as soon as its delivery's settle (ack, nack,
 * reply) is submitted, because the store applies that settle before the next
 * lease of the same batch: the rows leased to this consumer never exceed
 * `concurrency` at any commit. The handler may still be running, though, so
 * what such a lease returns waits in `handoff` until a handler returns:
 * handlers running never exceed `concurrency` either. This is what lets the
 * common `await delivery.ack()` handler cost one commit per batch instead of
 * two (acks, then a lease once the handlers have returned).
 *
 * ```
 *   lease ──► handoff ──slot free──► handler ──► settle (+ auto ack / nack)
 *     ▲                                 │ settle submitted: slot reusable
 *     └──── capacity = concurrency − running − handoff + settling
 * ```
 *
 * What makes the loop lease again: a settle submitted or a handler returned;
 * the queue's doorbell (a publish, nack or release in this process); the poll
 * timer (delayed messages falling due, lapsed leases, other processes'
 * writes), which also aborts the `signal` of deliveries whose lease ran out.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { MillraceError, hasCode, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Consumer, DeliveryHandler } from '../../ports/task-queue.js';
import { QueueDelivery } from './queue-delivery.js';
import type { DeliveryHost } from './queue-delivery.js';
import { runHandler, settleLeftover, type HandlerFailure } from './handler-run.js';
import type { ConsumerSettings } from './message-validation.js';
import type { LeaseTarget, QueueStore, WakeHub } from './queue-store.js';

/** What consumer loops share with their queue. */
export interface ConsumerContext {
  readonly store: QueueStore;
  readonly hub: WakeHub;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
}


/** `draining`: finishing what is in hand. `abandoning`: releasing it. */
type LoopState = 'running' | 'draining' | 'abandoning' | 'stopped';

/** A running consumer of one queue. */
export class ConsumerLoop implements Consumer, DeliveryHost {
  readonly store: QueueStore;
  readonly leaseMs: number;
  private state: LoopState = 'running';
  /** Deliveries whose handler is running. */
  private readonly running = new Set<QueueDelivery>();
  /** Running deliveries whose settle is submitted: their slot is reusable by the next lease. */
  private readonly settlingSet = new Set<QueueDelivery>();
  /** Leased, waiting for a handler slot (see the module comment). */
  private handoff: QueueDelivery[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private leasing: Promise<void> | undefined;
  /** Something changed while a lease was outstanding: lease again once it returns. */
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
    if (options.drain === false && this.state !== 'stopped') {
      this.state = 'abandoning';
      this.releaseInHand();
    }
    this.stopping ??= this.finishStop();
    return this.stopping;
  }

  wake(queue: string): void {
    this.context.hub.ring(queue);
  }

  settling(delivery: QueueDelivery, settle: Promise<unknown>): void {
    const running = this.running.has(delivery);
    if (running) this.settlingSet.add(delivery);
    this.track(settle.finally(() => this.settlingSet.delete(delivery)));
    if (running) this.pump();
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
  }

  private capacity(): number {
    if (this.state !== 'running') return 0;
    return this.settings.concurrency - this.running.size - this.handoff.length + this.settlingSet.size;
  }

  private pump(): void {
    if (this.state !== 'running') return;
    if (this.leasing !== undefined) {
      this.rung = true;
      return;
    }
    if (this.capacity() <= 0) return;
    this.rung = false;
    this.leasing = this.store
      .lease({ queue: this.queue, leaseMs: this.leaseMs, capacity: () => this.capacity() })
      .then(
        (messages) => {
          this.leasing = undefined;
          for (const message of messages) this.handoff.push(new QueueDelivery(this, message));
          this.startHandlers();
          if (this.rung) this.pump();
        },
        (error: unknown) => {
          this.leasing = undefined;
          // The next poll tries again; a closed store means we are shutting down.
          if (!hasCode(error, 'QUEUE_CLOSED')) this.context.logger.warn({ queue: this.queue, err: messageOf(error) }, 'lease failed; retrying at next poll');
        },
      );
  }

  /** Moves deliveries from the hand-off into free handler slots. */
  private startHandlers(): void {
    if (this.state === 'abandoning' || this.state === 'stopped') {
      this.releaseInHand();
      return;
    }
    const now = this.context.clock.now();
    while (this.handoff.length > 0 && this.running.size < this.settings.concurrency) {
      const delivery = this.handoff.shift()!;
      // Waited so long its lease ran out (a handler kept working after its ack): give it back.
      if (delivery.leaseUntil <= now) this.release([delivery]);
      else this.run(delivery);
    }
  }

  private run(delivery: QueueDelivery): void {
    this.running.add(delivery);
    void runHandler(this.handler, delivery).then((failure) => this.finish(delivery, failure));
  }

  /** The handler returned: settle what it left, free the slot, go on. */
  private finish(delivery: QueueDelivery, failure: HandlerFailure): void {
    this.running.delete(delivery);
    this.settlingSet.delete(delivery);
    settleLeftover(delivery, failure, this.queue, this.context.logger);
    this.startHandlers();
    if (this.running.size === 0 && this.handoff.length === 0) this.onIdle?.();
    this.pump();
  }

  /** Gives back every delivery not yet settled: running ones (their signal aborts) and waiting ones. */
  private releaseInHand(): void {
    const deliveries = [...this.running, ...this.handoff];
    this.running.clear();
    this.settlingSet.clear();
    this.handoff = [];
    this.release(deliveries);
    this.onIdle?.();
  }

  private release(deliveries: readonly QueueDelivery[]): void {
    const reason = new MillraceError('QUEUE_LEASE_LOST', `consumer of ${this.queue} released the delivery without settling it`, { queue: this.queue });
    const targets = deliveries.map((d) => d.release(reason)).filter((t): t is LeaseTarget => t !== undefined);
    if (targets.length > 0) this.track(this.store.release(targets).then(() => this.context.hub.ring(this.queue)));
  }

  private async finishStop(): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    this.unsubscribe?.();
    // A lease in flight lands in the hand-off: drained (handled) or abandoned (released).
    while (this.leasing !== undefined || this.running.size > 0 || this.handoff.length > 0) {
      if (this.leasing !== undefined) await this.leasing;
      else await new Promise<void>((resolve) => (this.onIdle = resolve));
    }
    this.state = 'stopped';
    this.pollTimer?.cancel();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.onStopped(this);
  }

  private schedulePoll(): void {
    this.pollTimer = this.context.clock.setTimer(() => this.poll(), this.context.pollIntervalMs);
  }

  private poll(): void {
    if (this.state === 'stopped') return;
    const now = this.context.clock.now();
    for (const delivery of this.running) if (delivery.leaseUntil <= now) delivery.leaseExpired();
    this.pump();
    this.schedulePoll();
  }
}
