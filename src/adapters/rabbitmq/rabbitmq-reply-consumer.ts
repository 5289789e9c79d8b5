/**
 * @module adapters/rabbitmq/rabbitmq-reply-consumer
 * The requesting side of request/reply: one exclusive, auto-deleted reply
 * queue per queue instance (`<prefix>millrace.reply.<instance id>`),
 * consumed without acks. Replies are worthless once their requester is gone,
 * so this queue is neither durable nor mirrored: it vanishes with the
 * connection and is declared again after a reconnect. A reply published
 * while it is missing is dropped, and its request times out.
 *
 * The shared `RequestReplyClient` (../common/request-reply.ts) keeps the
 * waiters and timeouts; this class only feeds it replies. A request is
 * published only after `ready()`, so the reply queue exists before any
 * worker can answer.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { messageOf } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import { decodeMessageBody } from '../../core/message-body.js';
import type { Logger } from '../../core/logger.js';
import type { Consumer } from '../../ports/task-queue.js';
import type { ReplyHandler } from '../common/request-reply.js';
import type { BrokerConnection, LiveConnection } from './rabbitmq-connection.js';
import { translateBrokerError } from './rabbitmq-errors.js';
import { USER_HEADERS_HEADER } from './rabbitmq-wire.js';

/** Consumes the instance's reply queue. */
export class ReplyConsumer implements Consumer {
  private channel: Channel | undefined;
  private generation = -1;
  private subscribing: Promise<void> | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly queue: string,
    private readonly handler: ReplyHandler,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = connection.onUp(() => {
      this.ready().catch((error: unknown) => this.logger.warn({ queue, err: messageOf(error) }, 'could not re-create the reply queue'));
    });
  }

  /** Resolves once the reply queue exists and is consumed on the current connection. @throws `NOT_AVAILABLE` */
  async ready(): Promise<void> {
    while (!this.stopped) {
      const live = await this.connection.ready();
      if (this.channel !== undefined && this.generation === live.generation) return;
      this.subscribing ??= this.subscribe(live).finally(() => (this.subscribing = undefined));
      await this.subscribing;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private async subscribe(live: LiveConnection): Promise<void> {
    try {
      const channel = await live.model.createChannel();
      channel.on('error', (error: unknown) => this.logger.warn({ queue: this.queue, err: messageOf(error) }, 'reply channel closed by the broker'));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await channel.assertQueue(this.queue, { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(this.queue, (message) => this.received(message), { noAck: true });
      if (this.stopped) {
        await channel.close().catch(() => undefined);
        return;
      }
      this.channel = channel;
      this.generation = live.generation;
    } catch (error) {
      throw translateBrokerError(error, this.connection.errors, `declare the reply queue ${this.queue}`);
    }
  }

  private received(message: ConsumeMessage | null): void {
    if (message === null) return;
    try {
      const headersText = message.properties.headers?.[USER_HEADERS_HEADER] as unknown;
      const headers = typeof headersText === 'string' || Buffer.isBuffer(headersText) ? (decodeJson(headersText) as Record<string, string>) : {};
      void this.handler({ headers, payload: decodeMessageBody(message.content) }).catch(() => undefined);
    } catch (error) {
      this.logger.debug({ queue: this.queue, err: messageOf(error) }, 'dropped a reply that does not decode');
    }
  }
}
