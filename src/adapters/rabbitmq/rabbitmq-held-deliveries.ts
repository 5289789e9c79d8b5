/**
 * @module adapters/rabbitmq/rabbitmq-held-deliveries
 * The deliveries one consumer holds, their emulated leases, and how each is
 * settled on the broker: the store behind the shared `QueueDelivery`.
 *
 * RabbitMQ has no lease, so the lease is a timer on the queue's clock (one
 * per consumer, set for the earliest deadline). When it lapses the
 * delivery's `signal` aborts and its status becomes `lost`, so the holder's
 * `ack`, `nack` and `extendLease` fail with `QUEUE_LEASE_LOST`. The fence is
 * local and still complete: only this consumer (on a lapse) or the death of
 * its channel ever hands the message to anyone else, and either way this
 * side knows. A copy with the attempt counted is published; the original
 * stays unacked while the handler still runs, a "zombie" that keeps the
 * channel's prefetch slot taken so the broker gives the copy to another
 * consumer, and is acked once the handler returns or when it nears the
 * broker's `consumer_timeout` (`capAt`), past which the broker would close
 * the channel and every other delivery on it.
 *
 * ```
 *   held ──ack──────────────────────────────────────► (acked)
 *    │  └─nack──► settling ──copy confirmed──► ack original
 *    ├─lease lapsed──► lost: copy out; original acked when the handler returns (zombie) or at capAt
 *    └─channel closed──► lost: the broker has the original back (redelivered flag)
 * ```
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Clock, Timer } from '../../core/clock.js';
import { MillraceError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { QueueDelivery } from '../common/queue-delivery.js';
import type { DeliveryHost } from '../common/queue-delivery.js';
import type { DeliverySettlement, LeaseTarget, NackCommand, PreparedMessage } from '../common/queue-store.js';
import type { ConfirmPublisher } from './rabbitmq-publisher.js';
import { lapsed } from './rabbitmq-redelivery.js';
import type { Disposition, Redelivery } from './rabbitmq-redelivery.js';
import { MAX_DELAY_MS } from './rabbitmq-topology.js';
import { encodeMessage } from './rabbitmq-wire.js';
import type { DecodedMessage } from './rabbitmq-wire.js';

/** What the held deliveries need from their consumer. */
export interface HeldDeliveriesHost extends DeliveryHost {
  readonly queue: string;
  /** The channel acks go on now; a delivery that came on another one is lost. */
  readonly channel: Channel | undefined;
  /** True while the delivery's handler runs. */
  isRunning(delivery: QueueDelivery): boolean;
  /** A delivery still waiting for a handler slot lost its lease: drop it from the hand-off. */
  dropWaiting(delivery: QueueDelivery): void;
  /** Keeps a settle or a copy in flight until the consumer has stopped. */
  track(work: Promise<unknown>): void;
}

/** What the held deliveries share with the queue. */
export interface HeldDeliveriesDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly redelivery: Redelivery;
  readonly publisher: ConfirmPublisher;
  /** Leases end this long after receipt at the latest (the broker's consumer_timeout, less a margin). */
  readonly leaseCapMs: number;
}

interface Entry {
  readonly handle: number;
  readonly message: ConsumeMessage;
  readonly channel: Channel;
  readonly decoded: DecodedMessage;
  readonly attempt: number;
  readonly delivery: QueueDelivery;
  status: 'held' | 'settling' | 'lost';
  leaseUntil: number;
  readonly capAt: number;
  /** Lease lost while the handler runs: resolves when the copy is out (true) or the original went back to the broker (false). */
  zombie?: Promise<boolean>;
}

let handles = 0;

/** One consumer's deliveries in hand. */
export class HeldDeliveries implements DeliverySettlement {
  private readonly entries = new Map<number, Entry>();
  private readonly byDelivery = new Map<QueueDelivery, Entry>();
  private giveBacks: Entry[] = [];
  private leaseTimer: { timer: Timer; due: number } | undefined;

  constructor(
    private readonly host: HeldDeliveriesHost,
    private readonly deps: HeldDeliveriesDeps,
  ) {}

  /** Deliveries held now (not lost, not settled): the `inFlight` statistic. */
  get inFlight(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.status !== 'lost') count++;
    return count;
  }

  /** Takes a delivery in hand, starting its lease; `decoded.attempts + 1` is its attempt. */
  add(channel: Channel, message: ConsumeMessage, decoded: DecodedMessage): QueueDelivery {
    const handle = ++handles;
    const now = this.deps.clock.now();
    const capAt = now + this.deps.leaseCapMs;
    const leaseUntil = Math.min(now + this.host.leaseMs, capAt);
    const attempt = decoded.attempts + 1;
    const delivery = new QueueDelivery(this.host, {
      queue: this.host.queue, id: decoded.id, handle, attempt, name: decoded.name, payload: decoded.payload, priority: decoded.priority,
      maxAttempts: decoded.maxAttempts, headers: decoded.headers, publishedAt: decoded.publishedAt, replyTo: decoded.replyTo, leaseUntil,
    });
    const entry: Entry = { handle, message, channel, decoded, attempt, delivery, status: 'held', leaseUntil, capAt };
    this.entries.set(handle, entry);
    this.byDelivery.set(delivery, entry);
    if (this.leaseTimer === undefined) this.armAt(leaseUntil);
    return delivery;
  }

  /** True when the delivery can still be handed to a handler; a lapsed one is expired on the way. */
  startable(delivery: QueueDelivery): boolean {
    const entry = this.byDelivery.get(delivery);
    if (entry === undefined || entry.status !== 'held') return false;
    if (entry.leaseUntil > this.deps.clock.now()) return true;
    this.expire(entry);
    return false;
  }

  // --- DeliverySettlement: what QueueDelivery calls ---

  async ack(target: LeaseTarget): Promise<void> {
    const entry = this.holding(target);
    if (entry.channel !== this.host.channel) throw leaseLost(target);
    try {
      entry.channel.ack(entry.message);
    } catch {
      throw leaseLost(target);
    }
    this.forget(entry);
  }

  async nack(target: LeaseTarget, command: NackCommand): Promise<void> {
    const entry = this.holding(target);
    entry.status = 'settling';
    const disposition: Disposition = !command.requeue || entry.attempt >= entry.decoded.maxAttempts
      ? { kind: 'dead', attempts: entry.attempt, reason: command.reason }
      : { kind: 'requeue', attempts: entry.attempt, delayMs: Math.min(command.delayMs, MAX_DELAY_MS) };
    try {
      await this.deps.redelivery.publishCopy(this.host.queue, entry.message, entry.decoded.publishedAt, disposition);
    } catch (error) {
      // The channel may have closed meanwhile (status changed under us): the broker has the message back.
      if ((entry.status as Entry['status']) === 'lost') throw leaseLost(target);
      entry.status = 'held';
      throw error;
    }
    this.finishOriginal(entry, true);
  }

  async extend(target: LeaseTarget, ms: number): Promise<number> {
    const entry = this.holding(target);
    entry.leaseUntil = Math.min(this.deps.clock.now() + ms, entry.capAt);
    this.armAt(entry.leaseUntil);
    return entry.leaseUntil;
  }

  /** Replies: `queue` is the requester's reply queue, by its broker name; it may be gone, so not `mandatory`. */
  async publish(queue: string, messages: readonly PreparedMessage[]): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.publisher.publish(messages.map((m) => encodeMessage(queue, m, { attempts: 0, publishedAt: now, replyTo: null, mandatory: false, defaultMaxAttempts: m.maxAttempts })));
  }

  // --- giving deliveries up ---

  /** The handler returned: a zombie's original can go now. */
  handlerReturned(delivery: QueueDelivery): void {
    const entry = this.byDelivery.get(delivery);
    if (entry?.zombie !== undefined) this.host.track(this.bury(entry));
  }

  /**
   * A stopping consumer gives `delivery` up (its `QueueDelivery.release`
   * returned `target`, or undefined if it was settling). The copy waits for
   * {@link flushGiveBacks}, after the consumer is cancelled, so that freed
   * prefetch slots are not refilled first.
   */
  giveUp(delivery: QueueDelivery, target: LeaseTarget | undefined): void {
    const entry = this.byDelivery.get(delivery);
    if (entry === undefined) return;
    if (entry.zombie !== undefined) this.host.track(this.bury(entry));
    else if (target !== undefined && entry.status === 'held') {
      entry.status = 'lost';
      this.giveBacks.push(entry);
    }
  }

  flushGiveBacks(): void {
    for (const entry of this.giveBacks.splice(0)) {
      const disposition = lapsed(entry.attempt, entry.decoded.maxAttempts, 'released by a stopping consumer');
      this.host.track(this.redeliver(entry, disposition).then((ok) => this.finishOriginal(entry, ok)));
    }
  }

  /** The channel closed: the broker has every original that came on it back (flagged redelivered). */
  channelClosed(channel: Channel): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.channel !== channel) continue;
      if (entry.status !== 'lost') entry.delivery.leaseExpired();
      entry.status = 'lost';
      entry.zombie = undefined;
      this.forget(entry);
    }
    this.giveBacks = this.giveBacks.filter((e) => e.channel !== channel);
  }

  /** True while the delivery is tracked here (not yet acked or handed back). */
  has(delivery: QueueDelivery): boolean {
    return this.byDelivery.has(delivery);
  }

  /** The consumer has stopped: acks every zombie left, and stops the lease timer. */
  close(): void {
    for (const entry of [...this.entries.values()]) if (entry.zombie !== undefined) this.host.track(this.bury(entry));
    this.leaseTimer?.timer.cancel();
    this.leaseTimer = undefined;
  }

  // --- leases ---

  private holding(target: LeaseTarget): Entry {
    const entry = this.entries.get(target.handle);
    if (entry === undefined || entry.attempt !== target.attempt || entry.status === 'lost') throw leaseLost(target);
    return entry;
  }

  private armAt(due: number): void {
    if (this.leaseTimer !== undefined && this.leaseTimer.due <= due) return;
    this.leaseTimer?.timer.cancel();
    this.leaseTimer = { due, timer: this.deps.clock.setTimer(() => this.sweep(), due - this.deps.clock.now()) };
  }

  private sweep(): void {
    this.leaseTimer = undefined;
    const now = this.deps.clock.now();
    for (const entry of [...this.entries.values()]) {
      if (entry.status === 'held' && entry.leaseUntil <= now) this.expire(entry);
      else if (entry.zombie !== undefined && entry.capAt <= now) this.host.track(this.bury(entry));
    }
    let next = Infinity;
    for (const entry of this.entries.values()) {
      if (entry.status === 'held') next = Math.min(next, entry.leaseUntil);
      else if (entry.zombie !== undefined) next = Math.min(next, entry.capAt);
    }
    if (next !== Infinity) this.armAt(next);
  }

  /** The lease lapsed: tell the holder, publish the copy, keep the original while the handler runs. */
  private expire(entry: Entry): void {
    entry.delivery.leaseExpired();
    entry.status = 'lost';
    const copied = this.redeliver(entry, lapsed(entry.attempt, entry.decoded.maxAttempts, 'lease expired'));
    if (this.host.isRunning(entry.delivery) && entry.capAt > this.deps.clock.now()) {
      entry.zombie = copied;
    } else {
      this.host.dropWaiting(entry.delivery);
      this.host.track(copied.then((ok) => this.finishOriginal(entry, ok)));
    }
  }

  private async bury(entry: Entry): Promise<void> {
    const zombie = entry.zombie;
    if (zombie === undefined) return;
    entry.zombie = undefined;
    this.finishOriginal(entry, await zombie);
  }

  /** Resolves true once the copy is confirmed; false if it failed and the original went back to the broker instead. */
  private async redeliver(entry: Entry, disposition: Disposition): Promise<boolean> {
    try {
      await this.deps.redelivery.publishCopy(this.host.queue, entry.message, entry.decoded.publishedAt, disposition);
      return true;
    } catch (error) {
      this.deps.logger.warn({ queue: this.host.queue, messageId: entry.decoded.id, err: messageOf(error) }, 'could not publish the redelivery copy; handing the message back to the broker');
      try {
        entry.channel.nack(entry.message, false, true);
      } catch {
        // The channel is gone: the broker has the message back already.
      }
      return false;
    }
  }

  private finishOriginal(entry: Entry, copied: boolean): void {
    if (copied) {
      try {
        entry.channel.ack(entry.message);
      } catch {
        // The channel is gone, so the broker delivers the original again: one duplicate, at least once.
      }
    }
    this.forget(entry);
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry.handle);
    this.byDelivery.delete(entry.delivery);
  }
}

function leaseLost(target: LeaseTarget): MillraceError {
  return new MillraceError('QUEUE_LEASE_LOST', `lease on message ${target.id} (attempt ${target.attempt}) was lost: it expired or its channel closed, and the message was handed on`, {
    queue: target.queue,
    messageId: target.id,
    attempt: target.attempt,
  });
}
