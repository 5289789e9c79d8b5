/**
 * @module adapters/rabbitmq/rabbitmq-consumer
 * A consumer of one work queue: its own channel with prefetch =
 * concurrency and manual acks; a hand-off from broker pushes to handler
 * slots; automatic settlement when a handler returns or throws; stop with
 * or without draining; and a new channel after a reconnect. Leases and
 * settlement on the broker live in `rabbitmq-held-deliveries.ts`.
 *
 * ```
 *   broker ──push──► received ──► handoff ──slot free──► handler ──► ack / nack / reply (QueueDelivery)
 *                      │ redelivered flag: count the lost delivery, requeue the copy (never handed out)
 *                      │ does not decode: dead-lettered with the reason
 *   channel closed ──► every delivery on it lost; a new channel on reconnect
 * ```
 *
 * A delivery whose last hand-out ended with its channel (a crashed
 * consumer) arrives flagged `redelivered`; it is counted and requeued
 * before anyone sees it again, so a message that kills its consumers still
 * reaches the dead-letter queue after `maxAttempts` (`rabbitmq-redelivery.ts`).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Clock, Timer } from '../../core/clock.js';
import { MillraceError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Consumer, DeliveryHandler } from '../../ports/task-queue.js';
import { runHandler, settleLeftover, type HandlerFailure } from '../common/handler-run.js';
import type { ConsumerSettings } from '../common/message-validation.js';
import type { QueueDelivery } from '../common/queue-delivery.js';
import type { DeliverySettlement } from '../common/queue-store.js';
import { wallTimer } from './rabbitmq-connection.js';
import type { BrokerConnection } from './rabbitmq-connection.js';
import { isConnectionFailure } from './rabbitmq-errors.js';
import { HeldDeliveries } from './rabbitmq-held-deliveries.js';
import type { HeldDeliveriesHost } from './rabbitmq-held-deliveries.js';
import type { ConfirmPublisher } from './rabbitmq-publisher.js';
import { lapsed } from './rabbitmq-redelivery.js';
import type { Disposition, Redelivery } from './rabbitmq-redelivery.js';
import type { Topology } from './rabbitmq-topology.js';
import { ATTEMPTS_HEADER, decodeMessage, readInt } from './rabbitmq-wire.js';

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

type State = 'running' | 'draining' | 'abandoning' | 'stopped';

/** A running consumer of one RabbitMQ work queue. */
export class RabbitMqConsumer implements Consumer, HeldDeliveriesHost {
  readonly store: DeliverySettlement;
  readonly leaseMs: number;
  channel: Channel | undefined;
  private readonly held: HeldDeliveries;
  private state: State = 'running';
  private consumerTag: string | undefined;
  private attaching: Promise<void> | undefined;
  private retryTimer: Timer | undefined;
  private retries = 0;
  private cancelled = false;
  private readonly running = new Set<QueueDelivery>();
  private handoff: QueueDelivery[] = [];
  private readonly pending = new Set<Promise<unknown>>();
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
    this.held = new HeldDeliveries(this, deps);
    this.store = this.held;
  }

  start(): void {
    this.unsubscribe = this.deps.connection.onUp(() => this.attach());
    this.attach();
  }

  /** Deliveries held now (not lost, not settled): the `inFlight` statistic. */
  get inFlight(): number {
    return this.held.inFlight;
  }

  stop(options: { drain?: boolean } = {}): Promise<void> {
    if (options.drain === false && this.state !== 'stopped') {
      this.state = 'abandoning';
      this.releaseInHand();
    }
    this.stopping ??= this.finishStop();
    return this.stopping;
  }

  // --- what QueueDelivery and HeldDeliveries ask of the consumer ---

  wake(): void {
    // The broker pushes: there is no one to wake.
  }

  settling(_delivery: QueueDelivery, settle: Promise<unknown>): void {
    this.track(settle);
  }

  isRunning(delivery: QueueDelivery): boolean {
    return this.running.has(delivery);
  }

  dropWaiting(delivery: QueueDelivery): void {
    this.handoff = this.handoff.filter((d) => d !== delivery);
  }

  track(work: Promise<unknown>): void {
    const tracked = work.then(() => undefined, () => undefined);
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
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
    const delivery = this.held.add(channel, message, value);
    if (delivery.attempt > 1) this.deps.onRedelivered(this.queue);
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
    while (this.handoff.length > 0 && this.running.size < this.settings.concurrency) {
      const delivery = this.handoff.shift()!;
      if (this.held.startable(delivery)) this.run(delivery);
    }
  }

  private run(delivery: QueueDelivery): void {
    this.running.add(delivery);
    void runHandler(this.handler, delivery).then((failure) => this.finish(delivery, failure));
  }

  /** The handler returned: settle what it left, let a zombie go, go on. */
  private finish(delivery: QueueDelivery, failure: HandlerFailure): void {
    this.running.delete(delivery);
    settleLeftover(delivery, failure, this.queue, this.deps.logger);
    this.held.handlerReturned(delivery);
    this.startHandlers();
    if (this.running.size === 0 && this.handoff.length === 0) this.onIdle?.();
  }

  // --- stopping and losing the channel ---

  /** Gives back every delivery not yet settled (signals abort now; copies go out once the consumer is cancelled). */
  private releaseInHand(): void {
    const deliveries = [...this.running, ...this.handoff];
    this.running.clear();
    this.handoff = [];
    const reason = new MillraceError('QUEUE_LEASE_LOST', `consumer of ${this.queue} released the delivery without settling it`, { queue: this.queue });
    for (const delivery of deliveries) this.held.giveUp(delivery, delivery.release(reason));
    if (this.cancelled) this.held.flushGiveBacks();
    this.onIdle?.();
  }

  private channelClosed(channel: Channel): void {
    if (this.channel === channel) {
      this.channel = undefined;
      this.consumerTag = undefined;
    }
    this.held.channelClosed(channel);
    this.handoff = this.handoff.filter((d) => this.held.has(d));
    if (this.running.size === 0 && this.handoff.length === 0) this.onIdle?.();
    if (this.state === 'running' && this.deps.connection.current !== undefined) this.retryLater();
  }

  private async finishStop(): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    this.unsubscribe?.();
    this.retryTimer?.cancel();
    if (this.attaching !== undefined) await this.attaching;
    const channel = this.channel;
    // After cancel-ok nothing more arrives: what was pushed before it is in the hand-off by then.
    if (channel !== undefined && this.consumerTag !== undefined) await channel.cancel(this.consumerTag).catch(() => undefined);
    this.cancelled = true;
    this.held.flushGiveBacks();
    while (this.running.size > 0 || this.handoff.length > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    this.state = 'stopped';
    this.held.close();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
    this.onStopped(this);
  }
}
