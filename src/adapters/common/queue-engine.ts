/**
 * @module adapters/common/queue-engine
 * The `TaskQueue` surface shared by the embedded adapters: argument checks,
 * consumers, request/reply and shutdown, over any {@link QueueStore}. An
 * adapter is a store plus this engine, so the memory and SQLite queues cannot
 * drift apart in anything but storage.
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type {
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeliveryHandler,
  OutgoingMessage,
  QueueStats,
  RequestOptions,
  TaskQueue,
} from '../../ports/task-queue.js';
import { ConsumerLoop } from './consumer-loop.js';
import type { ConsumerContext } from './consumer-loop.js';
import { assertQueueName, prepareMessages, resolveConsumeOptions, resolveDeadLetterLimit } from './message-validation.js';
import { WakeHub } from './queue-store.js';
import type { PreparedMessage, QueueStore } from './queue-store.js';
import { RequestReplyClient, replyQueueName } from './request-reply.js';

/** Settings the engine takes from its adapter (tuning through {@link resolveTuning}). */
export interface QueueEngineSettings extends Required<QueueTuning> {
  store: QueueStore;
  clock: Clock;
  logger: Logger;
  /** Unique per queue instance; names its private reply queue. */
  instanceId: string;
}

/** Tuning options both embedded adapters take. */
export interface QueueTuning {
  /** @defaultValue 5 */
  maxAttempts?: number;
  /** @defaultValue 100 */
  pollIntervalMs?: number;
  /** @defaultValue 30 000 */
  defaultLeaseMs?: number;
}

/**
 * Applies defaults and checks tuning options. Adapters call it before they
 * open storage, so a bad option fails without leaving a file handle behind.
 *
 * @throws `CONFIG_INVALID`
 */
export function resolveTuning(options: QueueTuning): Required<QueueTuning> {
  const tuning = { maxAttempts: options.maxAttempts ?? 5, pollIntervalMs: options.pollIntervalMs ?? 100, defaultLeaseMs: options.defaultLeaseMs ?? 30_000 };
  assertSetting('maxAttempts', tuning.maxAttempts, Number.isInteger(tuning.maxAttempts) && tuning.maxAttempts >= 1);
  assertSetting('pollIntervalMs', tuning.pollIntervalMs, Number.isFinite(tuning.pollIntervalMs) && tuning.pollIntervalMs > 0);
  assertSetting('defaultLeaseMs', tuning.defaultLeaseMs, Number.isFinite(tuning.defaultLeaseMs) && tuning.defaultLeaseMs > 0);
  return tuning;
}

const REPLY_CONCURRENCY = 64;

/** A `TaskQueue` over a store. Adapters wrap it; see `SqliteTaskQueue`, `MemoryTaskQueue`. */
export class QueueEngine implements TaskQueue {
  private readonly context: ConsumerContext;
  private readonly consumers = new Set<ConsumerLoop>();
  private readonly requests: RequestReplyClient;
  private readonly replyQueue: string;
  private closing: Promise<void> | undefined;

  constructor(private readonly settings: QueueEngineSettings) {
    this.context = { store: settings.store, hub: new WakeHub(), clock: settings.clock, logger: settings.logger, pollIntervalMs: settings.pollIntervalMs };
    this.replyQueue = replyQueueName(settings.instanceId);
    this.requests = new RequestReplyClient({
      clock: settings.clock,
      replyQueue: this.replyQueue,
      maxAttempts: settings.maxAttempts,
      publish: (queue, messages) => this.storeMessages(queue, messages),
      consume: (queue, handler) => this.consume(queue, handler, { concurrency: REPLY_CONCURRENCY }),
    });
  }

  async publish(queue: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.storeMessages(queue, prepareMessages(queue, messages, this.settings.maxAttempts));
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Consumer {
    this.assertOpen(queue);
    assertQueueName(queue);
    const settings = resolveConsumeOptions(queue, options, this.settings.defaultLeaseMs);
    const loop = new ConsumerLoop(this.context, queue, handler, settings, (stopped) => this.consumers.delete(stopped));
    this.consumers.add(loop);
    loop.start();
    return loop;
  }

  async request(queue: string, message: OutgoingMessage, options?: RequestOptions): Promise<unknown> {
    this.assertOpen(queue);
    assertQueueName(queue);
    return this.requests.request(queue, message, options);
  }

  async stats(queue: string): Promise<QueueStats> {
    this.assertOpen(queue);
    assertQueueName(queue);
    return this.settings.store.stats(queue);
  }

  async deadLetters(queue: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    this.assertOpen(queue);
    assertQueueName(queue);
    return this.settings.store.deadLetters(queue, resolveDeadLetterLimit(queue, options));
  }

  async requeueDeadLetter(queue: string, id: string): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.settings.store.requeueDeadLetter(queue, id);
    this.context.hub.ring(queue);
  }

  async dropDeadLetter(queue: string, id: string): Promise<void> {
    this.assertOpen(queue);
    assertQueueName(queue);
    await this.settings.store.dropDeadLetter(queue, id);
  }

  /** Fails waiting requests, stops consumers without draining, drops the reply queue, closes the store. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.requests.close();
    await Promise.all([...this.consumers].map((consumer) => consumer.stop({ drain: false })));
    if (this.requests.started) {
      await this.settings.store.purge(this.replyQueue).catch((error: unknown) => {
        this.settings.logger.warn({ queue: this.replyQueue, err: String(error) }, 'could not purge the reply queue');
      });
    }
    await this.settings.store.close();
  }

  private async storeMessages(queue: string, messages: readonly PreparedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.settings.store.publish(queue, messages);
    this.context.hub.ring(queue);
  }

  private assertOpen(queue: string): void {
    if (this.closing !== undefined) throw new MillraceError('QUEUE_CLOSED', 'the queue is closed', { queue: typeof queue === 'string' ? queue : undefined });
  }
}

function assertSetting(name: string, value: number, valid: boolean): void {
  if (!valid) throw new MillraceError('CONFIG_INVALID', `task queue option ${name} is invalid: ${String(value)}`, { option: name });
}
