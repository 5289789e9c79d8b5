/**
 * @module adapters/rabbitmq/rabbitmq-publisher
 * Every publish of the adapter goes through one confirm channel: `publish`
 * resolves only when the broker has confirmed every message of the call,
 * which for a persistent message on a durable queue means written to disk.
 *
 * Messages are published `mandatory` (except replies), so one the broker
 * cannot route (its queue deleted behind our back) comes back instead of
 * being confirmed and dropped; the caller's `repair` re-declares the queues
 * and the message is sent again. A message nacked by the broker, or whose
 * confirm was lost with the channel or connection, is sent again once the
 * connection is back, until `unavailableTimeoutMs` has passed: at least once,
 * so a message stored just before a drop may be stored twice (consumers
 * dedupe by message or task id, as the port asks).
 */
import type { ConfirmChannel, Message } from 'amqplib';
import { MillraceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { BrokerConnection } from './rabbitmq-connection.js';
import { translateBrokerError } from './rabbitmq-errors.js';
import type { WireMessage } from './rabbitmq-wire.js';

interface Pending {
  returned: boolean;
}

interface OpenChannel {
  channel: ConfirmChannel;
  generation: number;
  /** Messages awaiting a confirm, by routing key and id, oldest first: a `basic.return` marks the first. */
  awaiting: Map<string, Pending[]>;
}

/** A message the broker did not confirm, and why (`'unroutable'`: it came back). */
interface Failure {
  message: WireMessage;
  failure: string;
}

/** The confirm channel and the retry loop around it. */
export class ConfirmPublisher {
  private open: OpenChannel | undefined;
  private opening: Promise<OpenChannel> | undefined;
  private closed = false;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly unavailableTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes and waits for every confirm.
   *
   * @param repair - re-declares queues before an unroutable message is sent again
   * @throws `NOT_AVAILABLE` when the broker will not confirm within `unavailableTimeoutMs`; `QUEUE_CLOSED`
   */
  async publish(messages: readonly WireMessage[], repair: (routingKeys: ReadonlySet<string>) => Promise<void> = async () => undefined): Promise<void> {
    const deadline = Date.now() + this.unavailableTimeoutMs;
    let remaining = messages;
    let lastFailure = '';
    let rounds = 0;
    while (remaining.length > 0) {
      if (this.closed) throw new MillraceError('QUEUE_CLOSED', 'the queue is closed');
      if (Date.now() > deadline) {
        throw new MillraceError('NOT_AVAILABLE', `RabbitMQ at ${this.connection.errors.broker} did not confirm ${remaining.length} message(s) within ${this.unavailableTimeoutMs} ms: ${lastFailure}`, {
          broker: this.connection.errors.broker,
        });
      }
      let open: OpenChannel;
      try {
        open = await this.channel(Math.max(1, deadline - Date.now()));
      } catch (error) {
        if (this.closed) throw new MillraceError('QUEUE_CLOSED', 'the queue is closed');
        throw translateBrokerError(error, this.connection.errors, 'open a publishing channel');
      }
      const failed = await this.send(open, remaining);
      if (failed.length === 0) return;
      const unroutable = new Set(failed.filter((o) => o.failure === 'unroutable').map((o) => o.message.routingKey));
      lastFailure = unroutable.size > 0 ? `unroutable to ${[...unroutable].join(', ')}` : failed[0]!.failure;
      this.logger.debug({ count: failed.length, reason: lastFailure }, 'publishing again what the broker did not confirm');
      if (unroutable.size > 0) await repair(unroutable);
      // Not a hot loop against a broker that keeps refusing: a short, growing pause between rounds.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * ++rounds)));
      remaining = failed.map((o) => o.message);
    }
  }

  /** Fails what waits and closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    const open = this.open;
    this.open = undefined;
    await open?.channel.close().catch(() => undefined);
  }

  /** Sends every message and resolves, once each is confirmed or failed, with the failures. One promise per call, not per message. */
  private async send(open: OpenChannel, messages: readonly WireMessage[]): Promise<Failure[]> {
    const failures: Failure[] = [];
    if (messages.length === 0) return failures;
    let outstanding = messages.length;
    let finished!: () => void;
    const all = new Promise<void>((resolve) => (finished = resolve));
    const settle = (): void => {
      if (--outstanding === 0) finished();
    };
    for (const message of messages) {
      const pending: Pending = { returned: false };
      const key = awaitingKey(message.routingKey, message.options.messageId);
      let sent: boolean;
      try {
        sent = open.channel.publish('', message.routingKey, message.content, message.options, (error: unknown) => {
          removeAwaiting(open.awaiting, key, pending);
          if (error) failures.push({ message, failure: error instanceof Error ? error.message : String(error) });
          else if (pending.returned) failures.push({ message, failure: 'unroutable' });
          settle();
        });
      } catch (error) {
        failures.push({ message, failure: error instanceof Error ? error.message : String(error) });
        settle();
        continue;
      }
      pushAwaiting(open.awaiting, key, pending);
      // The channel buffers past its high-water mark; wait for it to drain rather than grow without bound.
      if (!sent && this.open === open) await drained(open.channel);
    }
    await all;
    return failures;
  }

  private async channel(timeoutMs: number): Promise<OpenChannel> {
    const live = this.connection.current;
    if (this.open !== undefined && live !== undefined && this.open.generation === live.generation) return this.open;
    this.opening ??= this.openChannel(timeoutMs).finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async openChannel(timeoutMs: number): Promise<OpenChannel> {
    const live = await this.connection.ready(timeoutMs);
    const channel = await live.model.createConfirmChannel();
    const open: OpenChannel = { channel, generation: live.generation, awaiting: new Map() };
    channel.on('error', (error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'publishing channel failed'));
    channel.on('close', () => {
      if (this.open === open) this.open = undefined;
    });
    channel.on('return', (message: Message) => {
      const list = open.awaiting.get(awaitingKey(message.fields.routingKey, message.properties.messageId as unknown));
      const first = list?.find((p) => !p.returned);
      if (first !== undefined) first.returned = true;
    });
    if (this.closed) {
      await channel.close().catch(() => undefined);
      throw new MillraceError('QUEUE_CLOSED', 'the queue is closed');
    }
    this.open = open;
    return open;
  }
}

function awaitingKey(routingKey: string, messageId: unknown): string {
  return `${routingKey}\u0000${typeof messageId === 'string' ? messageId : ''}`;
}

function pushAwaiting(map: Map<string, Pending[]>, key: string, pending: Pending): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [pending]);
  else list.push(pending);
}

function removeAwaiting(map: Map<string, Pending[]>, key: string, pending: Pending): void {
  const list = map.get(key);
  if (list === undefined) return;
  const index = list.indexOf(pending);
  if (index >= 0) list.splice(index, 1);
  if (list.length === 0) map.delete(key);
}

function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.removeListener('drain', done);
      channel.removeListener('close', done);
      resolve();
    };
    channel.once('drain', done);
    channel.once('close', done);
  });
}
