/**
 * @module adapters/rabbitmq/rabbitmq-task-queue
 * The cluster `TaskQueue`, on RabbitMQ 3.10+ through amqplib: any number of
 * processes on any number of machines publish to and consume from the same
 * durable queues.
 *
 * How it keeps the port's promises, and where to look:
 * - durable before resolved: persistent messages, durable queues, publisher
 *   confirms; `publish` resolves when every message of the call is
 *   confirmed (`rabbitmq-publisher.ts`);
 * - priorities 0–9: classic queues with `x-max-priority` 9
 *   (`rabbitmq-topology.ts`, which also draws the queues, delay buckets and
 *   dead-letter queue behind each port queue);
 * - attempts and dead letters: **the choice this adapter turns on.** In
 *   3.10, classic queues have priorities but count no deliveries, and quorum
 *   queues count deliveries (`x-delivery-limit`) but have no priorities.
 *   Priorities are part of the port (query subtasks overtake batch work),
 *   so work queues are classic, and attempts are counted by the adapter: a
 *   delivery that is not acked is replaced by a confirmed copy carrying the
 *   attempt in a header, and a delivery lost with its channel (a crashed
 *   consumer) comes back flagged `redelivered` and is counted before anyone
 *   sees it again (`rabbitmq-redelivery.ts`). The cost: a copy per nack or
 *   lost lease, and requeued messages go to the back of their priority;
 * - leases: emulated by the consumer on the queue's clock, fenced locally,
 *   capped below the broker's `consumer_timeout` (`rabbitmq-consumer.ts`);
 * - delays: per-message TTL in quorum "delay bucket" queues that dead-letter
 *   back into the work queue, no plugin needed (`rabbitmq-topology.ts`);
 * - request/reply: an exclusive reply queue per instance and the shared
 *   `RequestReplyClient` (`rabbitmq-reply-consumer.ts`);
 * - outages: reconnect with backoff; calls wait for it, bounded by
 *   `unavailableTimeoutMs` (`rabbitmq-connection.ts`).
 *
 * Not promised here, unlike the embedded queues (docs/cluster.md says why):
 * publishing an id that is still queued stores a second copy (no dedup);
 * a batch is not atomic if the broker fails part-way (retrying may
 * duplicate); `stats().inFlight` and `redelivered` count this instance's
 * consumers only, since AMQP does not expose unacked counts.
 */
import { SystemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { silentLogger } from '../../core/logger.js';
import type { Logger } from '../../core/logger.js';
import type { ConsumeOptions, Consumer, DeadLetter, DeliveryHandler, OutgoingMessage, QueueStats, RequestOptions, TaskQueue } from '../../ports/task-queue.js';
import { assertQueueName, prepareMessages, resolveConsumeOptions, resolveDeadLetterLimit } from '../common/message-validation.js';
import type { PreparedMessage } from '../common/queue-store.js';
import { RequestReplyClient, replyQueueName } from '../common/request-reply.js';
import { BrokerConnection } from './rabbitmq-connection.js';
import { RabbitMqConsumer } from './rabbitmq-consumer.js';
import type { ConsumerDeps } from './rabbitmq-consumer.js';
import { DeadLetterInspector } from './rabbitmq-dead-letters.js';
import { resolveOptions } from './rabbitmq-options.js';
import type { RabbitMqTaskQueueOptions, ResolvedRabbitMqOptions } from './rabbitmq-options.js';
import { ConfirmPublisher } from './rabbitmq-publisher.js';
import { Redelivery } from './rabbitmq-redelivery.js';
import { ReplyConsumer } from './rabbitmq-reply-consumer.js';
import { MAX_DELAY_MS, Topology, delayBucket } from './rabbitmq-topology.js';
import { encodeMessage } from './rabbitmq-wire.js';

/**
 * Connects to the broker and returns the queue.
 *
 * @example
 * ```ts
 * const queue = await createRabbitMqTaskQueue({ url: process.env.MILLRACE_RABBITMQ_URL })
 * await queue.publish('resize', { name: 'resize', payload: { image: ref }, priority: 5 })
 * const consumer = queue.consume('resize', async (d) => resize(d.payload), { concurrency: 8 })
 * // ...
 * await consumer.stop()
 * await queue.close()
 * ```
 * @throws `CONFIG_INVALID` for bad options; `NOT_AVAILABLE` (naming host:port/vhost only) when the broker cannot be reached or refuses the login
 */
export async function createRabbitMqTaskQueue(options: RabbitMqTaskQueueOptions = {}): Promise<RabbitMqTaskQueue> {
  const resolved = resolveOptions(options);
  const instanceId = newId();
  const logger = (options.logger ?? silentLogger).child({ component: 'rabbitmq-task-queue', broker: resolved.endpoint.display });
  const connection = new BrokerConnection(resolved, options.connectionName ?? `millrace:${instanceId}`, logger);
  await connection.open();
  return new RabbitMqTaskQueue(resolved, connection, options.clock ?? new SystemClock(), logger, instanceId);
}

/** A `TaskQueue` on RabbitMQ. Create it with {@link createRabbitMqTaskQueue}. */
export class RabbitMqTaskQueue implements TaskQueue {
  private readonly topology: Topology;
  private readonly publisher: ConfirmPublisher;
  private readonly deadLetterInspector: DeadLetterInspector;
  private readonly consumerDeps: ConsumerDeps;
  private readonly consumers = new Set<RabbitMqConsumer>();
  private readonly redeliveredCounts = new Map<string, number>();
  private readonly requests: RequestReplyClient;
  private readonly replyQueue: string;
  private replies: ReplyConsumer | undefined;
  private closing: Promise<void> | undefined;

  /** @internal Use {@link createRabbitMqTaskQueue}: the connection must be open first. */
  constructor(
    private readonly options: ResolvedRabbitMqOptions,
    private readonly connection: BrokerConnection,
    private readonly clock: Clock,
    private readonly logger: Logger,
    instanceId: string,
  ) {
    this.topology = new Topology(connection, options.prefix, logger);
    this.publisher = new ConfirmPublisher(connection, options.unavailableTimeoutMs, logger);
    this.deadLetterInspector = new DeadLetterInspector(connection, this.topology, this.publisher, clock);
    this.consumerDeps = {
      connection,
      topology: this.topology,
      publisher: this.publisher,
      redelivery: new Redelivery(this.publisher, this.topology, clock),
      clock,
      logger,
      maxAttempts: options.maxAttempts,
      leaseCapMs: options.deliveryTimeoutMs - Math.min(60_000, options.deliveryTimeoutMs / 10),
      onRedelivered: (queue) => this.redeliveredCounts.set(queue, (this.redeliveredCounts.get(queue) ?? 0) + 1),
    };
    this.replyQueue = replyQueueName(instanceId);
    this.requests = new RequestReplyClient({
      clock,
      replyQueue: this.replyQueue,
      maxAttempts: options.maxAttempts,
      publish: async (queue, messages) => {
        await this.replies?.ready();
        await this.send(queue, messages);
      },
      consume: (queue, handler) => (this.replies = new ReplyConsumer(connection, `${options.prefix}${queue}`, handler, logger)),
    });
  }

  async publish(queue: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.send(queue, prepareMessages(queue, messages, this.options.maxAttempts));
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Consumer {
    this.assertOpen(queue);
    assertQueueName(queue);
    const settings = resolveConsumeOptions(queue, options, this.options.defaultLeaseMs);
    const consumer = new RabbitMqConsumer(this.consumerDeps, queue, handler, settings, (stopped) => this.consumers.delete(stopped));
    this.consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  async request(queue: string, message: OutgoingMessage, options?: RequestOptions): Promise<unknown> {
    this.assertOpen(queue);
    assertQueueName(queue);
    return this.requests.request(queue, message, options);
  }

  /**
   * `ready`, `delayed` and `deadLettered` are the broker's counts, for every
   * process; `inFlight` and `redelivered` are this instance's (AMQP does not
   * report unacked messages).
   */
  async stats(queue: string): Promise<QueueStats> {
    this.assertOpen(queue);
    assertQueueName(queue);
    const counts = await this.topology.counts(queue);
    let inFlight = 0;
    for (const consumer of this.consumers) if (consumer.queue === queue) inFlight += consumer.inFlight;
    return { ready: counts.ready, delayed: counts.delayed, inFlight, deadLettered: counts.dead, redelivered: this.redeliveredCounts.get(queue) ?? 0 };
  }

  async deadLetters(queue: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    this.assertOpen(queue);
    assertQueueName(queue);
    return this.deadLetterInspector.list(queue, resolveDeadLetterLimit(queue, options));
  }

  async requeueDeadLetter(queue: string, id: string): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.deadLetterInspector.requeue(queue, id);
  }

  async dropDeadLetter(queue: string, id: string): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.deadLetterInspector.drop(queue, id);
  }

  /**
   * Deletes the queue's broker objects (work queue, delay buckets,
   * dead-letter queue) with every message in them. For tests and for
   * retiring a queue; consumers of it elsewhere are cancelled by the broker.
   */
  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.topology.delete(queue);
  }

  /** Fails waiting requests, stops consumers without draining (their deliveries go back, counted), closes the connection. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.requests.close();
    await Promise.all([...this.consumers].map((consumer) => consumer.stop({ drain: false })));
    await this.publisher.close();
    await this.topology.close();
    await this.connection.close();
  }

  /** Publishes validated messages: now-due ones to the work queue, delayed ones to their bucket. */
  private async send(queue: string, messages: readonly PreparedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    for (const message of messages) {
      if (message.delayMs > MAX_DELAY_MS) {
        throw new MillraceError('QUEUE_MESSAGE_INVALID', `invalid message ${message.id} for queue ${queue}: delayMs above ${MAX_DELAY_MS} (about 49 days) is not supported on RabbitMQ`, { queue, messageId: message.id });
      }
    }
    const names = await this.topology.ensure(queue);
    const publishedAt = this.clock.now();
    const wire = messages.map((message) => {
      const replyTo = message.replyTo === null ? null : `${this.options.prefix}${message.replyTo}`;
      const fields = { attempts: 0, publishedAt, replyTo, mandatory: true, defaultMaxAttempts: this.options.maxAttempts };
      return message.delayMs > 0
        ? encodeMessage(names.delays[delayBucket(message.delayMs)]!, message, { ...fields, expirationMs: message.delayMs })
        : encodeMessage(names.work, message, fields);
    });
    await this.publisher.publish(wire, () => this.topology.refresh(queue).then(() => undefined));
  }

  private assertOpen(queue: unknown): void {
    if (this.closing !== undefined) throw new MillraceError('QUEUE_CLOSED', 'the queue is closed', { queue: typeof queue === 'string' ? queue : undefined });
  }
}
