/**
 * @module adapters/rabbitmq/rabbitmq-redelivery
 * Where a message goes when its delivery does not end in an ack: a copy
 * carrying the new attempt count goes back to the work queue (or to a delay
 * bucket, or to the dead-letter queue), and only once the broker has
 * confirmed that copy is the original acked. This is how attempts are
 * counted on classic queues, which keep no delivery count of their own:
 *
 * ```
 *   delivery (x-millrace-attempts = n−1, attempt n)
 *      ├─ ack ─────────────────────────────────────────► gone
 *      ├─ nack / lease lost / released ─► copy (attempts = n) confirmed ─► ack original
 *      │                                   └─ n ≥ maxAttempts: copy to p+q~dead with the reason
 *      └─ consumer died (channel gone) ─► broker requeues the original, `redelivered` set
 *            └─ on its next delivery: copy (attempts = n) confirmed ─► ack original  (never handed out)
 * ```
 *
 * The last branch is why a crash loop still reaches the dead-letter queue:
 * each lost delivery is written into the header before the message is
 * handed out again. A crash between the copy's confirm and the ack leaves
 * both, so a message can be delivered twice: at least once, as promised.
 */
import type { Message } from 'amqplib';
import type { Clock } from '../../core/clock.js';
import type { ConfirmPublisher } from './rabbitmq-publisher.js';
import { delayBucket } from './rabbitmq-topology.js';
import type { Topology } from './rabbitmq-topology.js';
import { DEAD_AT_HEADER, DEAD_REASON_HEADER, copyMessage } from './rabbitmq-wire.js';

/** What becomes of a message that was not acked. */
export type Disposition =
  | { kind: 'requeue'; attempts: number; delayMs: number }
  | { kind: 'dead'; attempts: number; reason: string };

/** Publishes the copies that replace unacked deliveries. */
export class Redelivery {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly topology: Topology,
    private readonly clock: Clock,
  ) {}

  /** Publishes the copy of `message` (a delivery from port queue `queue`) and resolves once it is confirmed. */
  async publishCopy(queue: string, message: Message, publishedAt: number, disposition: Disposition): Promise<void> {
    const names = await this.topology.ensure(queue);
    const replyTo = typeof message.properties.replyTo === 'string' ? message.properties.replyTo : null;
    const base = { attempts: disposition.attempts, publishedAt, replyTo, mandatory: true };
    const copy = disposition.kind === 'dead'
      ? copyMessage(names.dead, message, { [DEAD_REASON_HEADER]: disposition.reason, [DEAD_AT_HEADER]: this.clock.now() }, base)
      : disposition.delayMs > 0
        ? copyMessage(names.delays[delayBucket(disposition.delayMs)]!, message, {}, { ...base, expirationMs: disposition.delayMs })
        : copyMessage(names.work, message, {}, base);
    await this.publisher.publish([copy], () => this.topology.refresh(queue).then(() => undefined));
  }
}

/** The disposition of a delivery that is given up on now (lease lost, released, consumer died). */
export function lapsed(attempt: number, maxAttempts: number, why: string): Disposition {
  return attempt >= maxAttempts ? { kind: 'dead', attempts: attempt, reason: `${why} after ${attempt} attempts` } : { kind: 'requeue', attempts: attempt, delayMs: 0 };
}
