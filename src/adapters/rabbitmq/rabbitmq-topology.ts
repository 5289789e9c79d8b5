/**
 * @module adapters/rabbitmq/rabbitmq-topology
 * The broker objects behind one port queue `q` (with the instance's prefix
 * `p`), all on the default exchange, all durable:
 *
 * ```
 *  publish ──► p+q            classic, x-max-priority 9: the work queue
 *  delayMs ──► p+q~delay~256 … p+q~delay~4294967296
 *              quorum queues, per-message TTL; on expiry the broker dead-letters
 *              the message back into p+q (at-least-once dead-lettering)
 *  dead    ──► p+q~dead       classic: dead letters, read by deadLetters()
 * ```
 *
 * Delays are bucketed by size, four times wider each step (below 256 ms,
 * below 1 024 ms, …, up to 2³² ms ≈ 49.7 days), because a queue expires only
 * the message at its head: a short delay queued behind a long one waits for
 * the long one. Within a bucket that wait is bounded: a delay is never early,
 * and at most four times late, exactly on time when the bucket's messages
 * share a delay (a fixed retry schedule). The buckets are quorum queues
 * because RabbitMQ dead-letters out of them at least once (3.10+), where a
 * classic queue's expiry is at most once across a broker crash. `~` cannot
 * occur in a port queue name, so no user queue can collide with these.
 *
 * All buckets are declared with the work queue, so `stats` can count the
 * delayed messages of `q` with passive declarations (AMQP cannot list
 * queues). Declarations are cached per connection and re-made after a
 * reconnect, or when a publish comes back unroutable.
 */
import type { Channel } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { MillraceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { BrokerConnection } from './rabbitmq-connection.js';
import { isConnectionFailure, translateBrokerError } from './rabbitmq-errors.js';

/** Tries of a declaration cut off by dropped connections (waiting for each reconnect has its own timeout). */
const CUT_OFF_ATTEMPTS = 5;

/** Upper bounds (exclusive, ms) of the delay buckets. */
export const DELAY_BUCKETS: readonly number[] = Array.from({ length: 13 }, (_, k) => 256 * 4 ** k);
/** The longest delay a message can have on this adapter: RabbitMQ's per-message TTL is a 32-bit number of ms. */
export const MAX_DELAY_MS = 2 ** 32 - 1;

/** Broker names of one port queue's objects. */
export interface QueueNames {
  work: string;
  dead: string;
  delays: readonly string[];
}

/** Names of the objects behind port queue `queue`. */
export function queueNames(prefix: string, queue: string): QueueNames {
  const work = `${prefix}${queue}`;
  return { work, dead: `${work}~dead`, delays: DELAY_BUCKETS.map((bound) => `${work}~delay~${bound}`) };
}

/** Index of the bucket a delay goes to. */
export function delayBucket(delayMs: number): number {
  const index = DELAY_BUCKETS.findIndex((bound) => delayMs < bound);
  return index === -1 ? DELAY_BUCKETS.length - 1 : index;
}

/** Counts from the broker for one queue. */
export interface BrokerCounts {
  ready: number;
  delayed: number;
  dead: number;
}

/** Declares, counts and deletes the objects behind port queues. */
export class Topology {
  private declared = new Map<string, Promise<QueueNames>>();
  private generation = -1;
  private channel: Promise<Channel> | undefined;

  constructor(
    private readonly connection: BrokerConnection,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Declares the work queue, its dead-letter queue and its delay buckets, once per connection. */
  ensure(queue: string): Promise<QueueNames> {
    const live = this.connection.current;
    if (live !== undefined && live.generation !== this.generation) {
      this.generation = live.generation;
      this.declared.clear();
    }
    let declared = this.declared.get(queue);
    if (declared === undefined) {
      declared = this.declare(queue);
      this.declared.set(queue, declared);
      declared.catch(() => this.declared.delete(queue));
    }
    return declared;
  }

  /** Forgets the cached declaration (the queue was deleted, or a publish came back unroutable) and declares again. */
  refresh(queue: string): Promise<QueueNames> {
    this.declared.delete(queue);
    return this.ensure(queue);
  }

  /** Ready, delayed and dead-lettered messages of `queue`, as the broker counts them now. */
  async counts(queue: string): Promise<BrokerCounts> {
    const names = await this.ensure(queue);
    return this.withChannel('count messages', async (channel) => {
      const [work, dead, ...delays] = await Promise.all([names.work, names.dead, ...names.delays].map((name) => channel.checkQueue(name)));
      return { ready: work!.messageCount, dead: dead!.messageCount, delayed: delays.reduce((sum, d) => sum + d.messageCount, 0) };
    });
  }

  /** Deletes every object behind `queue`, messages and all. */
  async delete(queue: string): Promise<void> {
    const names = queueNames(this.prefix, queue);
    this.declared.delete(queue);
    await this.withChannel('delete queues', async (channel) => {
      await Promise.all([names.work, names.dead, ...names.delays].map((name) => channel.deleteQueue(name)));
    });
  }

  /** Closes the declaring channel. */
  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.then((c) => c.close()).catch(() => undefined);
  }

  private declare(queue: string): Promise<QueueNames> {
    const names = queueNames(this.prefix, queue);
    return this.withChannel(`declare queue ${names.work}`, async (channel) => {
      await Promise.all([
        channel.assertQueue(names.work, { durable: true, arguments: { 'x-max-priority': 9 } }),
        channel.assertQueue(names.dead, { durable: true }),
        ...names.delays.map((name) => channel.assertQueue(name, {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': names.work,
            'x-dead-letter-strategy': 'at-least-once',
            // Required by at-least-once dead-lettering; with no length limit it never rejects.
            'x-overflow': 'reject-publish',
          },
        })),
      ]);
      return names;
    });
  }

  /**
   * Runs `work` on the shared declaring channel, reopened after a failure
   * (a refused declaration closes it). A call cut off by a dropped
   * connection is tried again on the next one, a few times: a publish
   * whose queue was being declared when the broker restarted should wait
   * for the broker, as a publish already declared does, not fail.
   */
  private async withChannel<T>(doing: string, work: (channel: Channel) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.channel === undefined) {
          const opening = this.openChannel();
          this.channel = opening;
          const forget = (): void => {
            if (this.channel === opening) this.channel = undefined;
          };
          opening.then((channel) => channel.on('close', forget), forget);
        }
        return await work(await this.channel);
      } catch (error) {
        // A MillraceError is already a verdict (no connection within the timeout, the queue closed): not tried again.
        if (attempt >= CUT_OFF_ATTEMPTS || error instanceof MillraceError || !isConnectionFailure(error)) throw translateBrokerError(error, this.connection.errors, doing);
        this.logger.debug({ doing, attempt, err: error instanceof Error ? error.message : String(error) }, 'cut off by a dropped connection; trying again');
        await sleep(100 * attempt);
      }
    }
  }

  private async openChannel(): Promise<Channel> {
    const live = await this.connection.ready();
    const channel = await live.model.createChannel();
    channel.on('error', (error: unknown) => this.logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'declaring channel closed by the broker'));
    return channel;
  }
}
