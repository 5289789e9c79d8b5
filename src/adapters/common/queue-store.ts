/**
 * @module adapters/common/queue-store
 * The storage half of a task queue. Every embedded `TaskQueue` is the shared
 * front end ({@link QueueEngine}: validation, consumer loops, settlement,
 * request/reply) over one `QueueStore`: SQLite for durability, memory for
 * speed. A store keeps rows and applies state changes; it never runs
 * handlers, keeps timers or decides retries, so adapters differ only where
 * storage does.
 *
 * Row states and the transitions a store implements:
 *
 * ```
 *   publish ──► ready ──lease──► leased ──ack──► (gone)
 *                ▲  ▲              │ │
 *   delay due ───┘  └─nack/expiry──┘ └─nack on last attempt / requeue:false /
 *   (delayed)                           expiry after maxAttempts ──► dead letter
 * ```
 */
import type { MessageBody } from '../../core/message-body.js';
import type { DeadLetter, QueueStats } from '../../ports/task-queue.js';

/** A validated message, payload already encoded, ready to store. */
export interface PreparedMessage {
  id: string;
  name: string;
  /** `encodeMessageBody` output (JSON text, or a frame when the payload carries bytes): stores keep it encoded, so every read is a fresh copy. */
  body: MessageBody;
  priority: number;
  delayMs: number;
  maxAttempts: number;
  /** `encodeJson` of the headers, or null when there are none. */
  headersJson: string | null;
  /** The requester's reply queue, for `request` messages. */
  replyTo: string | null;
}

/**
 * Identifies one lease of one message. `attempt` is the fencing token: every
 * lease increments it, so a settle carrying an older attempt cannot touch a
 * newer delivery. `handle` is the store's row key (never reused).
 */
export interface LeaseTarget {
  queue: string;
  id: string;
  handle: number;
  attempt: number;
}

/** A message handed out by {@link QueueStore.lease}. */
export interface LeasedMessage extends LeaseTarget {
  name: string;
  payload: unknown;
  priority: number;
  maxAttempts: number;
  headers: Readonly<Record<string, string>>;
  publishedAt: number;
  replyTo: string | null;
  /** Epoch ms (store clock) when the lease lapses. */
  leaseUntil: number;
}

/** A consumer asking for work. */
export interface LeaseRequest {
  queue: string;
  leaseMs: number;
  /**
   * How many messages the consumer can take. Called when the store actually
   * leases, not when asked: a store that batches work (group commit) sees
   * every slot freed in the meantime, so one statement fills them all.
   */
  capacity(): number;
}

/** What `nack` asks of the store. */
export interface NackCommand {
  requeue: boolean;
  delayMs: number;
  /** Recorded if the message ends up dead-lettered. */
  reason: string;
}

/** Storage operations behind a {@link QueueEngine}. Queue names arrive validated. */
export interface QueueStore {
  /** Stores all messages or none; ids still queued are skipped. */
  publish(queue: string, messages: readonly PreparedMessage[]): Promise<void>;
  /**
   * Makes due delayed messages ready, reclaims lapsed leases (dead-lettering
   * those out of attempts), then leases up to `capacity()` ready messages,
   * highest priority first, FIFO within a priority, incrementing `attempt`.
   */
  lease(request: LeaseRequest): Promise<LeasedMessage[]>;
  /** @throws `QUEUE_LEASE_LOST` when `target.attempt` is no longer the current lease */
  ack(target: LeaseTarget): Promise<void>;
  /** Requeues or dead-letters. @throws `QUEUE_LEASE_LOST` */
  nack(target: LeaseTarget, command: NackCommand): Promise<void>;
  /** Resolves with the new lease end. @throws `QUEUE_LEASE_LOST` */
  extend(target: LeaseTarget, ms: number): Promise<number>;
  /** Ends the lease now, as if it lapsed. A lost lease is not an error here. */
  release(targets: readonly LeaseTarget[]): Promise<void>;
  stats(queue: string): Promise<QueueStats>;
  deadLetters(queue: string, limit: number): Promise<DeadLetter[]>;
  /** @throws `QUEUE_MESSAGE_NOT_FOUND` */
  requeueDeadLetter(queue: string, id: string): Promise<void>;
  /** @throws `QUEUE_MESSAGE_NOT_FOUND` */
  dropDeadLetter(queue: string, id: string): Promise<void>;
  /** Drops every message of a queue (private reply queues on close). */
  purge(queue: string): Promise<void>;
  /** Finishes pending work and releases the storage. */
  close(): Promise<void>;
}

/**
 * What a delivery needs to settle itself: the settle half of a store. The
 * embedded consumers hand a {@link QueueStore}; the RabbitMQ consumer hands
 * its own, which settles on the broker channel the delivery came on.
 */
export type DeliverySettlement = Pick<QueueStore, 'ack' | 'nack' | 'extend' | 'publish'>;

/**
 * In-process doorbell: "queue X may have ready messages". Consumers poll as
 * well, so a missed ring costs latency, never a message.
 */
export class WakeHub {
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Calls `listener` on every ring of `queue`; returns the unsubscribe function. */
  subscribe(queue: string, listener: () => void): () => void {
    let set = this.listeners.get(queue);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(queue, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(queue);
    };
  }

  ring(queue: string): void {
    const set = this.listeners.get(queue);
    if (set === undefined) return;
    for (const listener of [...set]) listener();
  }
}
