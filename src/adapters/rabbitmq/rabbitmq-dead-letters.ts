/**
 * @module adapters/rabbitmq/rabbitmq-dead-letters
 * Reading, requeueing and dropping dead letters. AMQP cannot peek at a
 * queue, so each operation takes messages off `<queue>~dead` with `basic.get` on a channel
 * of their own and close it at the end, which puts back, in their places,
 * all that they did not take for good. They are operator tools: a scan is
 * linear in the dead letters ahead of the one sought, and two scans at once
 * each see only what the other is not holding.
 */
import type { Channel, GetMessage } from 'amqplib';
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { decodeForInspection } from '../../core/message-body.js';
import type { DeadLetter } from '../../ports/task-queue.js';
import type { BrokerConnection } from './rabbitmq-connection.js';
import { translateBrokerError } from './rabbitmq-errors.js';
import type { ConfirmPublisher } from './rabbitmq-publisher.js';
import type { Topology } from './rabbitmq-topology.js';
import { DEAD_AT_HEADER, DEAD_REASON_HEADER, copyMessage, readDeadLetterHeaders, readPublishedAt } from './rabbitmq-wire.js';

/** Dead-letter operations over the broker. */
export class DeadLetterInspector {
  constructor(
    private readonly connection: BrokerConnection,
    private readonly topology: Topology,
    private readonly publisher: ConfirmPublisher,
    private readonly clock: Clock,
  ) {}

  /** Up to `limit` dead letters of port queue `queue`, oldest first. */
  async list(queue: string, limit: number): Promise<DeadLetter[]> {
    const names = await this.topology.ensure(queue);
    return this.scan(`read the dead letters of ${names.dead}`, async (channel) => {
      const out: DeadLetter[] = [];
      while (out.length < limit) {
        const message = await channel.get(names.dead, { noAck: false });
        if (message === false) break;
        out.push(toDeadLetter(queue, message));
      }
      return out;
    });
  }

  /**
   * Moves dead letter `id` back to its queue with a fresh attempt count.
   * @throws `QUEUE_MESSAGE_NOT_FOUND`
   */
  async requeue(queue: string, id: string): Promise<void> {
    const names = await this.topology.ensure(queue);
    await this.scan(`requeue a dead letter of ${names.dead}`, async (channel) => {
      const message = await this.find(channel, names.dead, queue, id);
      const publishedAt = readPublishedAt(message) ?? this.clock.now();
      const copy = copyMessage(names.work, message, {}, { attempts: 0, publishedAt, replyTo: null, mandatory: true });
      const headers = copy.options.headers as Record<string, unknown>;
      delete headers[DEAD_REASON_HEADER];
      delete headers[DEAD_AT_HEADER];
      await this.publisher.publish([copy], () => this.topology.refresh(queue).then(() => undefined));
      channel.ack(message);
    });
  }

  /**
   * Deletes dead letter `id` (acks it off `<queue>~dead`).
   * @throws `QUEUE_MESSAGE_NOT_FOUND`
   */
  async drop(queue: string, id: string): Promise<void> {
    const names = await this.topology.ensure(queue);
    await this.scan(`drop a dead letter of ${names.dead}`, async (channel) => {
      const message = await this.find(channel, names.dead, queue, id);
      channel.ack(message);
    });
  }

  /** Takes messages off the dead-letter queue up to `id` (the others go back when the channel closes). */
  private async find(channel: Channel, dead: string, queue: string, id: string): Promise<GetMessage> {
    for (;;) {
      const message = await channel.get(dead, { noAck: false });
      if (message === false) throw new MillraceError('QUEUE_MESSAGE_NOT_FOUND', `no dead letter ${id} in queue ${queue}`, { queue, messageId: id });
      if (message.properties.messageId === id) return message;
    }
  }

  /** Runs `work` on a fresh channel and closes it, returning every message not acked to the queue. */
  private async scan<T>(doing: string, work: (channel: Channel) => Promise<T>): Promise<T> {
    let channel: Channel | undefined;
    try {
      const live = await this.connection.ready();
      channel = await live.model.createChannel();
      channel.on('error', () => undefined);
      return await work(channel);
    } catch (error) {
      throw translateBrokerError(error, this.connection.errors, doing);
    } finally {
      await channel?.close().catch(() => undefined);
    }
  }
}

function toDeadLetter(queue: string, message: GetMessage): DeadLetter {
  const { attempts, reason, deadAt } = readDeadLetterHeaders(message);
  const payload = decodeForInspection(message.content);
  const { messageId, type } = message.properties as { messageId?: unknown; type?: unknown };
  return { id: typeof messageId === 'string' ? messageId : '', queue, name: typeof type === 'string' ? type : '', payload, attempts, reason, deadAt };
}
