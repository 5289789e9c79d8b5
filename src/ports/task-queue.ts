/**
 * @module ports/task-queue
 * Competing consumers over named queues: the work channel between the
 * orchestrator and the workers, and the request/reply channel of queries.
 *
 * Glossary:
 * - **delivery**: one hand-out of a message to a consumer; a message may be
 *   delivered several times.
 * - **attempt**: 1 for the first delivery, 2 for the next, and so on.
 * - **lease**: the time a consumer holds a delivery before it is handed to
 *   someone else; `extendLease` is the heartbeat that keeps it.
 * - **dead letter**: a message given up on, kept with its reason for an
 *   operator to inspect, requeue or drop.
 */

/** A message to publish. */
export interface OutgoingMessage {
  /** Unique id; publishing an id that is still queued is a no-op (deduplicated). @defaultValue a random id */
  id?: string;
  /** What the message asks for, usually a task name. */
  name: string;
  /**
   * JSON-serialisable, and `Uint8Array`s (Buffers too) anywhere in it:
   * bytes travel as bytes, not base64, and arrive as `Uint8Array`s,
   * 8-byte aligned. Keep it small: bulk data goes by `BlobRef`.
   */
  payload: unknown;
  /** 0 (lowest) to 9 (highest); higher is delivered first. @defaultValue 0 */
  priority?: number;
  /** Not delivered before this many milliseconds. @defaultValue 0 */
  delayMs?: number;
  /** Deliveries before the message is dead-lettered. @defaultValue the queue's `maxAttempts` (5) */
  maxAttempts?: number;
  /** Small string metadata (trace ids, routing tags). */
  headers?: Record<string, string>;
}

/** What a consumer receives. */
export interface Delivery {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: unknown;
  readonly priority: number;
  /** 1 on first delivery; grows on every redelivery, including after a crash. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch ms of the original publish. */
  readonly publishedAt: number;
  /** True when the sender awaits a reply (`request`). */
  readonly expectsReply: boolean;
  /** Aborts when the lease is lost or the consumer stops without draining. */
  readonly signal: AbortSignal;
  /** Done: the message is removed. @throws `QUEUE_LEASE_LOST` if the lease expired and the message went to another consumer */
  ack(): Promise<void>;
  /**
   * Not done. With `requeue` (default) it is delivered again after `delayMs`,
   * unless this was the last allowed attempt, in which case it is
   * dead-lettered; with `requeue: false` it is dead-lettered now.
   */
  nack(options?: NackOptions): Promise<void>;
  /** Heartbeat: keep the lease `ms` longer from now. @throws `QUEUE_LEASE_LOST` */
  extendLease(ms?: number): Promise<void>;
  /** Answers a `request` and acks. @throws `QUEUE_MESSAGE_INVALID` if the sender expects no reply */
  reply(payload: unknown): Promise<void>;
}

export interface NackOptions {
  /** @defaultValue true */
  requeue?: boolean;
  /** Wait before redelivery. @defaultValue 0 */
  delayMs?: number;
  /** Recorded with a dead letter. */
  reason?: string;
}

/**
 * The consumer's function. If it returns without settling the delivery, the
 * delivery is acked; if it throws, it is nacked with requeue.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface ConsumeOptions {
  /** Deliveries handled at once by this consumer. */
  concurrency: number;
  /** How long a delivery is held without a heartbeat. @defaultValue 30 000 ms */
  leaseMs?: number;
}

/** A running consumer. */
export interface Consumer {
  /**
   * Stops taking deliveries. With `drain` (default) it waits for the ones in
   * hand to settle; without, they are released for redelivery at once and
   * their signals abort.
   */
  stop(options?: { drain?: boolean }): Promise<void>;
}

export interface RequestOptions {
  /** Fails with `QUEUE_REQUEST_TIMEOUT` after this long. @defaultValue 30 000 ms */
  timeoutMs?: number;
  priority?: number;
  signal?: AbortSignal;
}

/** Counts for one queue. */
export interface QueueStats {
  /** Waiting and deliverable now. */
  ready: number;
  /** Waiting for a `delayMs` to pass. */
  delayed: number;
  /** Leased by a consumer. */
  inFlight: number;
  deadLettered: number;
  /** Deliveries beyond the first, since the queue was created. */
  redelivered: number;
}

/** A message given up on. */
export interface DeadLetter {
  id: string;
  queue: string;
  name: string;
  payload: unknown;
  attempts: number;
  reason: string;
  deadAt: number;
}

/**
 * Contract:
 * - **At least once.** A published message is delivered until a consumer
 *   acks it. A consumer that dies or lets its lease lapse has its deliveries
 *   handed to another consumer with `attempt` increased.
 * - **Durable before resolved.** `publish` resolves only once the messages
 *   survive a crash of the process (durable adapters; the memory adapter
 *   promises nothing across a restart and says so).
 * - **Fenced.** After a lease is lost, `ack`/`extendLease` from the old holder
 *   fail with `QUEUE_LEASE_LOST`; they never settle the new delivery.
 * - **Order.** Higher priority first; within a priority, publish order
 *   (FIFO) for the first delivery. Redeliveries may overtake. No order across
 *   consumers.
 * - **Dead letters.** A message delivered `maxAttempts` times without an ack
 *   is dead-lettered with its reason, never silently dropped.
 * - **Concurrency.** A consumer holds at most `concurrency` deliveries.
 * - Not promised: exactly-once delivery (dedupe by message or task id), or
 *   order across queues.
 */
export interface TaskQueue {
  /** Publishes one or more messages atomically. */
  publish(queue: string, messages: OutgoingMessage | readonly OutgoingMessage[]): Promise<void>;
  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Consumer;
  /** Publishes a message and resolves with the consumer's `reply`. */
  request(queue: string, message: OutgoingMessage, options?: RequestOptions): Promise<unknown>;
  stats(queue: string): Promise<QueueStats>;
  deadLetters(queue: string, options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Moves a dead letter back to its queue with a fresh attempt count. @throws `QUEUE_MESSAGE_NOT_FOUND` */
  requeueDeadLetter(queue: string, id: string): Promise<void>;
  /** Deletes a dead letter for good: what was given up on is not kept. @throws `QUEUE_MESSAGE_NOT_FOUND` */
  dropDeadLetter(queue: string, id: string): Promise<void>;
  /** Stops all consumers (without draining) and releases resources. */
  close(): Promise<void>;
}

/** Queue names: letters, digits, `.`, `_`, `-`, `:`; 1–200 characters. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
