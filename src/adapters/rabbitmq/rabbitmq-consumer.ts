/**
 * @module adapters/rabbitmq/rabbitmq-consumer
 * A consumer of one work queue: its own channel with prefetch =
 * concurrency, manual acks, and the port's lease emulated here, since
 * RabbitMQ has none.
 *
 * The lease is a timer on the queue's clock. When it lapses the delivery's
 * `signal` aborts, its status becomes `lost` (so the holder's `ack`,
 * `nack` and `extendLease` fail with `QUEUE_LEASE_LOST`: the fence is local,
 * because nothing but this consumer or the death of its channel can hand
 * the message to anyone else), and a copy with the attempt counted is
 * published. The original stays unacked while the handler still runs: it
 * keeps the channel's prefetch slot taken, so the broker hands the copy to
 * another consumer and this one never holds more than `concurrency`. It is
 * acked (a "zombie" no longer delivered to anyone) once the handler returns,
 * or when it nears the broker's `consumer_timeout`, past which the broker
 * would close the whole channel.
 *
 * ```
 *   broker ──push──► received ──► handoff ──slot free──► handler ──► ack / nack / reply (QueueDelivery)
 *                      │ redelivered flag: count the lost delivery, requeue the copy (never handed out)
 *   lease timer ──lapsed──► signal aborts, copy out, original held until the handler returns
 *   channel closed ──► every delivery on it lost; reopened on reconnect
 * ```
 *
 * Settlement reuses the embedded queues' `QueueDelivery` state machine,
 * with this class as its store.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Clock, Timer } from '../../core/clock.js';
import { MillraceError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Consumer, DeliveryHandler } from '../../ports/task-queue.js';
import type { ConsumerSettings } from '../common/message-validation.js';
import { QueueDelivery } from '../common/queue-delivery.js';
import type { DeliveryHost } from '../common/queue-delivery.js';
import type { DeliverySettlement, LeaseTarget, NackCommand, PreparedMessage } from '../common/queue-store.js';
import { wallTimer } from './rabbitmq-connection.js';
import type { BrokerConnection } from './rabbitmq-connection.js';
import { isConnectionFailure } from './rabbitmq-errors.js';
import type { ConfirmPublisher } from './rabbitmq-publisher.js';
import { lapsed } from './rabbitmq-redelivery.js';
import type { Disposition, Redelivery } from './rabbitmq-redelivery.js';
import { MAX_DELAY_MS } from './rabbitmq-topology.js';
import type { Topology } from './rabbitmq-topology.js';
import { decodeMessage, encodeMessage, readInt, ATTEMPTS_HEADER } from './rabbitmq-wire.js';
import type { DecodedMessage } from './rabbitmq-wire.js';

/** What consumers share with their queue. */
export interface ConsumerDeps {
  readonly connection: BrokerConnection;
  readonly topology: Topology;
  readonly publisher: ConfirmPublisher;
  readonly redelivery: Redelivery;
  readonly clock: Clock;
  readonly logger: Logger;
  /** For messages that name none. */
  readonly maxAttempts: number;
  /** Leases end this long after receipt at the latest (the broker's consumer_timeout, less a margin). */
  readonly leaseCapMs: number;
  /** Counts a delivery with attempt > 1 (the `redelivered` statistic). */
  readonly onRedelivered: (queue: string) => void;
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
  /** Lease lost while the handler runs: resolves when the copy is out (true) or the original was handed back (false). */
  zombie?: Promise<boolean>;
}

type State = 'running' | 'draining' | 'abandoning' | 'stopped';
let handles = 0;

/** A running consumer of one RabbitMQ work queue. */
export class RabbitMqConsumer implements Consumer, DeliveryHost, DeliverySettlement {
  readonly store: DeliverySettlement = this;
  readonly leaseMs: number;
  private state: State = 'running';
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private attaching: Promise<void> | undefined;
  private retryTimer: Timer | undefined;
  private retries = 0;
  private cancelled = false;
  private readonly entries = new Map<number, Entry>();
  private readonly byDelivery = new Map<QueueDelivery, Entry>();
  private readonly running = new Set<QueueDelivery>();
  private handoff: QueueDelivery[] = [];
  private giveBacks: Entry[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private leaseTimer: { timer: Timer; due: number } | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    readonly queue: string,
    private readonly handler: DeliveryHandler,
    private readonly settings: ConsumerSettings,
    private readonly onStopped: (consumer: RabbitMqConsumer) => void,
  ) {
    this.leaseMs = settings.leaseMs;
  }

  start(): void {
    this.unsubscribe = this.deps.connection.onUp(() => this.attach());
    this.attach();
  }

  /** Deliveries held now (not lost, not settled): the `inFlight` statistic. */
  get inFlight(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.status !== 'lost') count++;
    return count;
  }

  stop(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain === false && this.state !== 'stopped') {
      this.state = 'abandoning';
      this.releaseInHand();
    }
    this.stopping ??= this.finishStop();
    return this.stopping;
  }

  // --- DeliveryHost ---

  wake(): void {
    // The broker pushes: there is no one to wake.
  }

  settling(_delivery: QueueDelivery, settle: Promise<unknown>): void {
    this.track(settle);
  }

  // --- DeliverySettlement: what QueueDelivery calls ---

  async ack(target: LeaseTarget): Promise<void> {
    const entry = this.holding(target);
    if (entry.channel !== this.channel) throw leaseLost(target);
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
      await this.deps.redelivery.publishCopy(this.queue, entry.message, entry.decoded.publishedAt, disposition);
    } catch (error) {
      // The channel may have closed meanwhile (status changed under us): the broker has the message back.
      if ((entry.status as Entry['status']) === 'lost') throw leaseLost(target);
      entry.status = 'held';
      throw error;
    }
    this.ackQuietly(entry);
    this.forget(entry);
  }

  async extend(target: LeaseTarget, ms: number): Promise<number> {
    const entry = this.holding(target);
    entry.leaseUntil = Math.min(this.deps.clock.now() + ms, entry.capAt);
    this.armAt(entry.leaseUntil);
    return entry.leaseUntil;
  }

  /** Replies: `queue` is the requester's reply queue, by its broker name. */
  async publish(queue: string, messages: readonly PreparedMessage[]): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.publisher.publish(messages.map((m) => encodeMessage(queue, m, { attempts: 0, publishedAt: now, replyTo: null, mandatory: false })));
  }

  // --- receiving ---

  private attach(): void {
    if (this.state !== 'running' || this.attaching !== undefined || this.channel !== undefined) return;
    this.attaching = this.subscribe()
      .then(() => {
        this.retries = 0;
      })
      .catch((error: unknown) => {
        this.deps.logger.warn({ queue: this.queue, err: messageOf(error) }, 'could not start consuming; retrying');
        // A dropped connection brings its own signal (onUp); anything else is tried again after a while.
        if (!isConnectionFailure(error) || this.deps.connection.current !== undefined) this.retryLater();
      })
      .finally(() => (this.attaching = undefined));
  }

  private async subscribe(): Promise<void> {
    const live = this.deps.connection.current;
    if (live === undefined) return;
    const names = await this.deps.topology.ensure(this.queue);
    const channel = await live.model.createChannel();
    channel.on('error', (error: unknown) => this.deps.logger.warn({ queue: this.queue, err: messageOf(error) }, 'consumer channel closed by the broker'));
    channel.on('close', () => this.channelClosed(channel));
    await channel.prefetch(this.settings.concurrency);
    if (this.state !== 'running') {
      await channel.close().catch(() => undefined);
      return;
    }
    this.channel = channel;
    const { consumerTag } = await channel.consume(names.work, (message) => this.received(channel, message));
    this.consumerTag = consumerTag;
  }

  private retryLater(): void {
    if (this.state !== 'running' || this.retryTimer !== undefined) return;
    const delay = Math.min(30_000, 100 * 2 ** Math.min(this.retries++, 10));
    this.retryTimer = wallTimer(() => {
      this.retryTimer = undefined;
      this.attach();
    }, delay);
  }

  private received(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us: the queue was deleted. Start over, declaring it again.
      this.deps.logger.warn({ queue: this.queue }, 'the broker cancelled the consumer (queue deleted?); subscribing again');
      void this.deps.topology.refresh(this.queue).catch(() => undefined);
      void channel.close().catch(() => undefined);
      return;
    }
    if (channel !== this.channel) return;
    const now = this.deps.clock.now();
    const decoded = decodeMessage(message, this.deps.maxAttempts, now);
    if (!decoded.ok) {
      const attempts = (readInt(message.properties.headers?.[ATTEMPTS_HEADER]) ?? 0) + 1;
      this.track(this.dispose(channel, message, now, { kind: 'dead', attempts, reason: decoded.reason }));
      return;
    }
    const value = decoded.value;
    if (message.fields.redelivered) {
      // Its last delivery ended with a channel, not a settle: count that attempt before anyone sees it again.
      this.track(this.dispose(channel, message, value.publishedAt, lapsed(value.attempts + 1, value.maxAttempts, 'delivered without being settled (its consumer was lost)')));
      return;
    }
    const handle = ++handles;
    const attempt = value.attempts + 1;
    const leaseUntil = now + this.settings.leaseMs;
    const capAt = now + this.deps.leaseCapMs;
    const delivery = new QueueDelivery(this, {
      queue: this.queue, id: value.id, handle, attempt, name: value.name, payload: value.payload, priority: value.priority,
      maxAttempts: value.maxAttempts, headers: value.headers, publishedAt: value.publishedAt, replyTo: value.replyTo, leaseUntil: Math.min(leaseUntil, capAt),
    });
    const entry: Entry = { handle, message, channel, decoded: value, attempt, delivery, status: 'held', leaseUntil: Math.min(leaseUntil, capAt), capAt };
    this.entries.set(handle, entry);
    this.byDelivery.set(delivery, entry);
    if (attempt > 1) this.deps.onRedelivered(this.queue);
    if (this.leaseTimer === undefined) this.armAt(entry.leaseUntil);
    this.handoff.push(delivery);
    this.startHandlers();
  }

  /** Publishes the copy that replaces `message`, then acks it; hands it back to the broker if the copy fails. */
  private async dispose(channel: Channel, message: ConsumeMessage, publishedAt: number, disposition: Disposition): Promise<void> {
    try {
      await this.deps.redelivery.publishCopy(this.queue, message, publishedAt, disposition);
      channel.ack(message);
    } catch (error) {
      this.deps.logger.warn({ queue: this.queue, messageId: message.properties.messageId as unknown, err: messageOf(error) }, 'could not requeue or dead-letter a message; handing it back to the broker');
      try {
        channel.nack(message, false, true);
      } catch {
        // The channel is gone: the broker has the message back already.
      }
    }
  }

  // --- running handlers ---

  private startHandlers(): void {
    if (this.state === 'abandoning' || this.state === 'stopped') {
      this.releaseInHand();
      return;
    }
    const now = this.deps.clock.now();
    while (this.handoff.length > 0 && this.running.size < this.settings.concurrency) {
      const delivery = this.handoff.shift()!;
      const entry = this.byDelivery.get(delivery);
      if (entry === undefined || entry.status !== 'held') continue;
      if (entry.leaseUntil <= now) this.expire(entry);
      else this.run(delivery);
    }
  }

  private run(delivery: QueueDelivery): void {
    this.running.add(delivery);
    let result: Promise<void>;
    try {
      result = this.handler(delivery);
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then(
      () => this.finish(delivery, undefined),
      (error: unknown) => this.finish(delivery, { error }),
    );
  }

  /** The handler returned: settle what it left, bury a zombie, go on. */
  private finish(delivery: QueueDelivery, failure: { error: unknown } | undefined): void {
    this.running.delete(delivery);
    if (delivery.unsettled) {
      const settle = failure === undefined ? delivery.ack() : delivery.nack({ requeue: true, reason: `handler failed: ${messageOf(failure.error)}` });
      settle.catch((error: unknown) => {
        this.deps.logger.warn({ queue: this.queue, messageId: delivery.id, attempt: delivery.attempt, err: messageOf(error) }, 'automatic settle failed');
      });
    } else if (failure !== undefined) {
      this.deps.logger.debug({ queue: this.queue, messageId: delivery.id, err: messageOf(failure.error) }, 'handler threw after settling');
    }
    const entry = this.byDelivery.get(delivery);
    if (entry?.zombie !== undefined) this.track(this.bury(entry));
    this.startHandlers();
    if (this.running.size === 0 && this.handoff.length === 0) this.onIdle?.();
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
    let next = Infinity;
    for (const entry of [...this.entries.values()]) {
      if (entry.status === 'held' && entry.leaseUntil <= now) this.expire(entry);
      else if (entry.zombie !== undefined && entry.capAt <= now) this.track(this.bury(entry));
    }
    for (const entry of this.entries.values()) {
      if (entry.status === 'held') next = Math.min(next, entry.leaseUntil);
      else if (entry.zombie !== undefined) next = Math.min(next, entry.capAt);
    }
    if (next !== Infinity && this.state !== 'stopped') this.armAt(next);
  }

  /** The lease lapsed: tell the holder, publish the copy, keep the original while the handler runs. */
  private expire(entry: Entry): void {
    entry.delivery.leaseExpired();
    entry.status = 'lost';
    const copied = this.redeliver(entry, lapsed(entry.attempt, entry.decoded.maxAttempts, 'lease expired'));
    if (this.running.has(entry.delivery) && entry.capAt > this.deps.clock.now() && this.state !== 'abandoning') {
      entry.zombie = copied;
    } else {
      this.handoff = this.handoff.filter((d) => d !== entry.delivery);
      this.track(copied.then((ok) => this.finishOriginal(entry, ok)));
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
      await this.deps.redelivery.publishCopy(this.queue, entry.message, entry.decoded.publishedAt, disposition);
      return true;
    } catch (error) {
      this.deps.logger.warn({ queue: this.queue, messageId: entry.decoded.id, err: messageOf(error) }, 'could not publish the redelivery copy; handing the message back to the broker');
      try {
        entry.channel.nack(entry.message, false, true);
      } catch {
        // The channel is gone: the broker has the message back already.
      }
      return false;
    }
  }

  private finishOriginal(entry: Entry, copied: boolean): void {
    if (copied) this.ackQuietly(entry);
    this.forget(entry);
  }

  private ackQuietly(entry: Entry): void {
    try {
      entry.channel.ack(entry.message);
    } catch {
      // The channel is gone, so the broker delivers the original again: one duplicate, at least once.
    }
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry.handle);
    this.byDelivery.delete(entry.delivery);
  }

  // --- stopping and losing the channel ---

  /** Gives back every delivery not yet settled; the copies go out once the consumer is cancelled, so freed prefetch slots are not refilled first. */
  private releaseInHand(): void {
    const deliveries = [...this.running, ...this.handoff];
    this.running.clear();
    this.handoff = [];
    const reason = new MillraceError('QUEUE_LEASE_LOST', `consumer of ${this.queue} released the delivery without settling it`, { queue: this.queue });
    for (const delivery of deliveries) {
      const target = delivery.release(reason);
      const entry = this.byDelivery.get(delivery);
      if (entry === undefined) continue;
      if (entry.zombie !== undefined) this.track(this.bury(entry));
      else if (target !== undefined && entry.status === 'held') {
        entry.status = 'lost';
        this.giveBacks.push(entry);
      }
    }
    if (this.cancelled) this.flushGiveBacks();
    this.onIdle?.();
  }

  private flushGiveBacks(): void {
    for (const entry of this.giveBacks.splice(0)) {
      this.track(this.redeliver(entry, lapsed(entry.attempt, entry.decoded.maxAttempts, 'released by a stopping consumer')).then((ok) => this.finishOriginal(entry, ok)));
    }
  }

  private channelClosed(channel: Channel): void {
    if (this.channel === channel) {
      this.channel = undefined;
      this.consumerTag = undefined;
    }
    for (const entry of [...this.entries.values()]) {
      if (entry.channel !== channel) continue;
      // The broker has the original back (with its redelivered flag): nothing left to ack or give back.
      if (entry.status !== 'lost') entry.delivery.leaseExpired();
      entry.status = 'lost';
      entry.zombie = undefined;
      this.forget(entry);
    }
    this.giveBacks = this.giveBacks.filter((e) => e.channel !== channel);
    this.handoff = this.handoff.filter((d) => this.byDelivery.has(d));
    if (this.running.size === 0 && this.handoff.length === 0) this.onIdle?.();
    if (this.state === 'running' && this.deps.connection.current !== undefined) this.retryLater();
  }

  private async finishStop(): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    this.unsubscribe?.();
    this.retryTimer?.cancel();
    if (this.attaching !== undefined) await this.attaching;
    const channel = this.channel;
    if (channel !== undefined && this.consumerTag !== undefined) await channel.cancel(this.consumerTag).catch(() => undefined);
    this.cancelled = true;
    this.flushGiveBacks();
    while (this.running.size > 0 || this.handoff.length > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    this.state = 'stopped';
    for (const entry of [...this.entries.values()]) if (entry.zombie !== undefined) this.track(this.bury(entry));
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.leaseTimer?.timer.cancel();
    this.leaseTimer = undefined;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
    this.onStopped(this);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.then(() => undefined, () => undefined);
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
  }
}

function leaseLost(target: LeaseTarget): MillraceError {
  return new MillraceError('QUEUE_LEASE_LOST', `lease on message ${target.id} (attempt ${target.attempt}) was lost: it expired or its channel closed, and the message was handed on`, {
    queue: target.queue,
    messageId: target.id,
    attempt: target.attempt,
  });
}
