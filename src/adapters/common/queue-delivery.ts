/**
 * @module adapters/common/queue-delivery
 * One delivery and its settlement state machine, shared by every store.
 *
 * ```
 *            ack / nack / reply          store says ok
 *   held ──────────────────────► settling ─────────────► settled
 *    │  ▲                           │
 *    │  └── store failed otherwise ─┤ store says QUEUE_LEASE_LOST
 *    │                              ▼
 *    └── consumer stops, no drain ► released / lost  (ack ⇒ QUEUE_LEASE_LOST)
 * ```
 *
 * A second settle while `settling` or `settled` is `QUEUE_ALREADY_SETTLED`:
 * the caller has a bug. After the lease is gone it is `QUEUE_LEASE_LOST`:
 * the caller was slow, and another consumer may hold the message now.
 */
import { MillraceError, hasCode } from '../../core/errors.js';
import type { Delivery, NackOptions } from '../../ports/task-queue.js';
import type { DeliverySettlement, LeaseTarget, LeasedMessage } from './queue-store.js';
import { prepareReply } from './request-reply.js';

/** What a delivery needs from the consumer that holds it. */
export interface DeliveryHost {
  readonly store: DeliverySettlement;
  /** Lease length for `extendLease()` without an argument. */
  readonly leaseMs: number;
  /** Rings consumers of `queue` after a settle made a message ready. */
  wake(queue: string): void;
  /** A settle of `delivery` was submitted and resolves with `settle`. */
  settling(delivery: QueueDelivery, settle: Promise<unknown>): void;
}

type SettleState = 'held' | 'settling' | 'settled' | 'lost' | 'released';

/** The `Delivery` handed to handlers by every queue adapter (embedded and RabbitMQ). */
export class QueueDelivery implements Delivery {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: unknown;
  readonly priority: number;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly publishedAt: number;
  readonly expectsReply: boolean;
  /** Lease end by the store's clock; the consumer aborts `signal` once it passes. */
  leaseUntil: number;

  private state: SettleState = 'held';
  private readonly target: LeaseTarget;
  private readonly replyTo: string | null;
  // Created on first read: most handlers never look at the signal, and an
  // AbortController per message is measurable at tens of thousands a second.
  private controller: AbortController | undefined;
  private abortReason: MillraceError | undefined;

  constructor(private readonly host: DeliveryHost, message: LeasedMessage) {
    this.id = message.id;
    this.queue = message.queue;
    this.name = message.name;
    this.payload = message.payload;
    this.priority = message.priority;
    this.attempt = message.attempt;
    this.maxAttempts = message.maxAttempts;
    this.headers = message.headers;
    this.publishedAt = message.publishedAt;
    this.expectsReply = message.replyTo !== null;
    this.replyTo = message.replyTo;
    this.leaseUntil = message.leaseUntil;
    this.target = { queue: message.queue, id: message.id, handle: message.handle, attempt: message.attempt };
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** True until someone acks, nacks, replies, or the lease is given up. */
  get unsettled(): boolean {
    return this.state === 'held';
  }

  ack(): Promise<void> {
    return this.settle(() => this.host.store.ack(this.target));
  }

  nack(options: NackOptions = {}): Promise<void> {
    const requeue = options.requeue ?? true;
    const delayMs = Number.isFinite(options.delayMs) && options.delayMs! > 0 ? Math.ceil(options.delayMs!) : 0;
    const reason = options.reason ?? (requeue ? `nacked on the last of ${this.maxAttempts} attempts` : 'nacked without requeue');
    return this.settle(async () => {
      await this.host.store.nack(this.target, { requeue, delayMs, reason });
      if (requeue) this.host.wake(this.queue);
    });
  }

  async extendLease(ms: number = this.host.leaseMs): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0) throw new MillraceError('CONFIG_INVALID', `extendLease needs a positive number of milliseconds, got ${String(ms)}`, { queue: this.queue, messageId: this.id });
    if (this.state === 'lost' || this.state === 'released') throw this.leaseLost();
    if (this.state !== 'held') throw this.alreadySettled();
    try {
      this.leaseUntil = await this.host.store.extend(this.target, ms);
    } catch (error) {
      if (hasCode(error, 'QUEUE_LEASE_LOST')) this.loseLease();
      throw error;
    }
  }

  reply(payload: unknown): Promise<void> {
    const replyTo = this.replyTo;
    if (replyTo === null) {
      return Promise.reject(new MillraceError('QUEUE_MESSAGE_INVALID', `message ${this.id} was not sent by request: there is no one to reply to`, { queue: this.queue, messageId: this.id }));
    }
    let reply;
    try {
      reply = prepareReply(replyTo, this.id, payload);
    } catch (error) {
      return Promise.reject(error);
    }
    // Both land in the same group commit; the reply is sent even if the ack
    // turns out fenced, which is harmless: the requester keeps the first reply.
    return this.settle(async () => {
      await Promise.all([this.host.store.ack(this.target), this.host.store.publish(replyTo, [reply])]);
      this.host.wake(replyTo);
    });
  }

  /** Gives the lease back (consumer stopping without drain); returns what to release, if still held. */
  release(reason: MillraceError): LeaseTarget | undefined {
    if (this.state !== 'held') return undefined;
    this.state = 'released';
    this.abort(reason);
    return this.target;
  }

  /** The lease ran out locally: tell the handler. A late ack may still succeed if no one took over. */
  leaseExpired(): void {
    this.abort(this.leaseLost());
  }

  private settle(operation: () => Promise<void>): Promise<void> {
    if (this.state === 'lost' || this.state === 'released') return Promise.reject(this.leaseLost());
    if (this.state !== 'held') return Promise.reject(this.alreadySettled());
    this.state = 'settling';
    const settled = operation().then(
      () => {
        this.state = 'settled';
      },
      (error: unknown) => {
        if (hasCode(error, 'QUEUE_LEASE_LOST')) this.loseLease();
        // Any other failure (storage, closed) leaves the delivery held, so a retry is possible.
        else this.state = 'held';
        throw error;
      },
    );
    this.host.settling(this, settled);
    return settled;
  }

  private loseLease(): void {
    this.state = 'lost';
    this.abort(this.leaseLost());
  }

  private abort(reason: MillraceError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  private leaseLost(): MillraceError {
    return new MillraceError('QUEUE_LEASE_LOST', `lease on message ${this.id} (attempt ${this.attempt}) was lost`, { queue: this.queue, messageId: this.id, attempt: this.attempt });
  }

  private alreadySettled(): MillraceError {
    return new MillraceError('QUEUE_ALREADY_SETTLED', `message ${this.id} (attempt ${this.attempt}) is already settled`, { queue: this.queue, messageId: this.id, attempt: this.attempt });
  }
}
