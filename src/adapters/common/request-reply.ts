/**
 * @module adapters/common/request-reply
 * Request/reply over two queues. A request is an ordinary message whose
 * `replyTo` names the requester's private reply queue; `Delivery.reply`
 * publishes the answer there (in the same commit as the ack) with the request
 * id in a header, and the requester's reply consumer resolves whoever waits
 * on that id.
 *
 * ```
 *  request() ──publish(replyTo = millrace.reply.<instance>)──► work queue ──► handler
 *      ▲                                                                      │ reply()
 *      └── reply consumer ◄── millrace.reply.<instance> ◄──── ack + publish ◄─┘
 * ```
 *
 * Waiters are keyed by message id: a request deduplicated against a still
 * queued one with the same id shares its reply, which is what dedup means.
 * A reply that arrives after its timeout finds no waiter and is dropped.
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { encodeJson } from '../../core/json-codec.js';
import type { Consumer, Delivery, OutgoingMessage, RequestOptions } from '../../ports/task-queue.js';
import { encodePayload, newMessageId, prepareMessages } from './message-validation.js';
import type { PreparedMessage } from './queue-store.js';

/** Header on a reply naming the request it answers. */
export const CORRELATION_HEADER = 'millrace-correlation-id';
const REPLY_NAME = 'millrace.reply';
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The private reply queue of one queue instance. */
export function replyQueueName(instanceId: string): string {
  return `millrace.reply.${instanceId}`;
}

/** Encodes the answer to request `requestId`. @throws `CODEC_*` when the payload has no safe JSON form */
export function prepareReply(replyTo: string, requestId: string, payload: unknown): PreparedMessage {
  const id = newMessageId();
  return {
    id,
    name: REPLY_NAME,
    body: encodePayload(payload, replyTo, id),
    priority: 9,
    delayMs: 0,
    maxAttempts: 5,
    headersJson: encodeJson({ [CORRELATION_HEADER]: requestId }),
    replyTo: null,
  };
}

/** What the client reads from a reply; a `Delivery` is one. */
export type ReplyHandler = (reply: Pick<Delivery, 'headers' | 'payload'>) => Promise<void>;

/** What the client needs from its queue. */
export interface RequestReplyDeps {
  readonly clock: Clock;
  readonly replyQueue: string;
  readonly maxAttempts: number;
  publish(queue: string, messages: readonly PreparedMessage[]): Promise<void>;
  /** Consumes the reply queue: an ordinary queue (embedded) or the adapter's own reply channel (RabbitMQ). */
  consume(queue: string, handler: ReplyHandler): Consumer;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The requesting side: publishes requests, consumes replies, enforces timeouts. */
export class RequestReplyClient {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private consumer: Consumer | undefined;
  private closed = false;

  constructor(private readonly deps: RequestReplyDeps) {}

  /** True once a request was made: the reply queue may hold rows to purge. */
  get started(): boolean {
    return this.consumer !== undefined;
  }

  request(queue: string, message: OutgoingMessage, options: RequestOptions = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new MillraceError('QUEUE_CLOSED', 'the queue is closed', { queue }));
    let prepared: PreparedMessage;
    try {
      const outgoing = options.priority === undefined ? message : { ...message, priority: options.priority };
      [prepared] = prepareMessages(queue, outgoing, this.deps.maxAttempts, this.deps.replyQueue) as [PreparedMessage];
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal, queue, prepared.id));
    this.consumer ??= this.deps.consume(this.deps.replyQueue, (delivery) => this.onReply(delivery.headers, delivery.payload));
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => finish(() => reject(abortError(signal!, queue, prepared.id)));
      const waiter: Waiter = {
        resolve: (value) => finish(() => resolve(value)),
        reject: (error) => finish(() => reject(error)),
      };
      const finish = (settle: () => void): void => {
        if (!this.removeWaiter(prepared.id, waiter)) return;
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      this.addWaiter(prepared.id, waiter);
      // Set before any reply can arrive: replies come through the event loop, never synchronously.
      const timer = this.deps.clock.setTimer(() => {
        waiter.reject(new MillraceError('QUEUE_REQUEST_TIMEOUT', `request ${prepared.id} on queue ${queue} got no reply within ${timeoutMs} ms`, { queue, messageId: prepared.id, timeoutMs }));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.deps.publish(queue, [prepared]).catch((error: unknown) => waiter.reject(error));
    });
  }

  /** Fails every waiting request and stops the reply consumer. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, set] of [...this.waiters]) {
      for (const waiter of [...set]) waiter.reject(new MillraceError('QUEUE_CLOSED', `the queue closed before request ${id} got a reply`, { messageId: id }));
    }
    await this.consumer?.stop({ drain: false });
  }

  private async onReply(headers: Readonly<Record<string, string>>, payload: unknown): Promise<void> {
    const id = headers[CORRELATION_HEADER];
    const set = id === undefined ? undefined : this.waiters.get(id);
    if (set === undefined) return;
    for (const waiter of [...set]) waiter.resolve(payload);
  }

  private addWaiter(id: string, waiter: Waiter): void {
    let set = this.waiters.get(id);
    if (set === undefined) {
      set = new Set();
      this.waiters.set(id, set);
    }
    set.add(waiter);
  }

  private removeWaiter(id: string, waiter: Waiter): boolean {
    const set = this.waiters.get(id);
    if (set === undefined || !set.delete(waiter)) return false;
    if (set.size === 0) this.waiters.delete(id);
    return true;
  }
}

function abortError(signal: AbortSignal, queue: string, id: string): MillraceError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new MillraceError('TASK_ABORTED', `request ${id} on queue ${queue} aborted: ${reason}`, { queue, messageId: id });
}
