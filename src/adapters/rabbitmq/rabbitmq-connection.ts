/**
 * @module adapters/rabbitmq/rabbitmq-connection
 * One AMQP connection per queue instance, kept up: the first connect fails
 * fast with one `NOT_AVAILABLE` naming `host:port/vhost`; after that, a
 * dropped connection (broker restart, network, a server-side close) is
 * reopened in the background with doubling, jittered waits, and every part
 * of the adapter that owns a channel reopens it on the `up` signal.
 *
 * ```
 *   open() ──ok──► up ──close/error──► down ──wait 100 ms·2ⁿ (±50 %, ≤ maxMs)──► connect ──ok──► up (generation + 1)
 *                                        ▲                                         │ failed
 *                                        └─────────────────────────────────────────┘
 * ```
 *
 * Reconnection runs on wall time, whatever clock the queue was given: the
 * broker does not live on a test's manual clock. Its timers are deliberately
 * *not* unref'd: while the connection is down they may be all that is left
 * to do, and a worker must stay alive to reconnect rather than exit quietly.
 * `close` cancels them.
 */
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { Writable } from 'node:stream';
import type { Timer } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { redact, translateBrokerError } from './rabbitmq-errors.js';
import type { BrokerErrorContext } from './rabbitmq-errors.js';
import type { ResolvedRabbitMqOptions } from './rabbitmq-options.js';

/** An open connection; `generation` grows with every reconnect. */
export interface LiveConnection {
  readonly model: ChannelModel;
  readonly generation: number;
}

interface Waiter {
  resolve(live: LiveConnection): void;
  reject(error: unknown): void;
}

/** The connection and its reconnect loop. */
export class BrokerConnection {
  readonly errors: BrokerErrorContext;
  private live: LiveConnection | undefined;
  private generation = 0;
  private closed = false;
  private attempt = 0;
  private lastError = 'not connected yet';
  private reconnectTimer: Timer | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly upListeners = new Set<(live: LiveConnection) => void>();

  constructor(
    private readonly options: ResolvedRabbitMqOptions,
    private readonly connectionName: string,
    private readonly logger: Logger,
  ) {
    this.errors = { broker: options.endpoint.display, secrets: options.endpoint.secrets };
  }

  /** The first connection. @throws `NOT_AVAILABLE` naming host:port/vhost, never the credentials */
  async open(): Promise<void> {
    try {
      this.adopt(await this.dial());
    } catch (error) {
      this.closed = true;
      throw translateBrokerError(error, this.errors, 'connect');
    }
  }

  /** The connection if it is up now. */
  get current(): LiveConnection | undefined {
    return this.live;
  }

  /**
   * The connection, waiting for a reconnect if it is down.
   * @throws `NOT_AVAILABLE` after `timeoutMs` without one; `QUEUE_CLOSED` once closed
   */
  ready(timeoutMs = this.options.unavailableTimeoutMs): Promise<LiveConnection> {
    if (this.live !== undefined) return Promise.resolve(this.live);
    if (this.closed) return Promise.reject(new MillraceError('QUEUE_CLOSED', 'the queue is closed'));
    return new Promise<LiveConnection>((resolve, reject) => {
      const timer = wallTimer(() => {
        this.waiters.delete(waiter);
        reject(new MillraceError('NOT_AVAILABLE', `RabbitMQ at ${this.errors.broker} is not available: no connection for ${timeoutMs} ms (last error: ${this.lastError})`, { broker: this.errors.broker }));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (live) => {
          timer.cancel();
          resolve(live);
        },
        reject: (error) => {
          timer.cancel();
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Calls `listener` after every reconnect (not the first connect); returns the unsubscribe function. */
  onUp(listener: (live: LiveConnection) => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.closed && this.live === undefined) return;
    this.closed = true;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    for (const waiter of [...this.waiters]) waiter.reject(new MillraceError('QUEUE_CLOSED', 'the queue is closed'));
    this.waiters.clear();
    const live = this.live;
    this.live = undefined;
    await live?.model.close().catch(() => undefined);
  }

  private async dial(): Promise<ChannelModel> {
    const { endpoint, heartbeatSeconds, connectTimeoutMs } = this.options;
    // The object form, not the URL: nothing amqplib keeps or reports holds the URL.
    return connect(
      { protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port, username: endpoint.username, password: endpoint.password, vhost: endpoint.vhost, heartbeat: heartbeatSeconds },
      { timeout: connectTimeoutMs, noDelay: true, clientProperties: { connection_name: this.connectionName } },
    );
  }

  private adopt(model: ChannelModel): void {
    coalesceWrites(model);
    const live: LiveConnection = { model, generation: ++this.generation };
    this.live = live;
    this.attempt = 0;
    model.on('error', (error: unknown) => {
      this.lastError = redact(error instanceof Error ? error.message : String(error), this.errors.secrets);
    });
    model.on('blocked', (reason: string) => this.logger.warn({ broker: this.errors.broker, reason }, 'RabbitMQ blocked the connection (a resource alarm): publishes wait'));
    model.on('unblocked', () => this.logger.info({ broker: this.errors.broker }, 'RabbitMQ unblocked the connection'));
    model.on('close', () => this.dropped(live));
    for (const waiter of [...this.waiters]) waiter.resolve(live);
    this.waiters.clear();
  }

  private dropped(live: LiveConnection): void {
    if (this.live !== live) return;
    this.live = undefined;
    if (this.closed) return;
    this.logger.warn({ broker: this.errors.broker, err: this.lastError }, 'lost the RabbitMQ connection; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const { reconnectInitialMs, reconnectMaxMs } = this.options;
    const ceiling = Math.min(reconnectMaxMs, reconnectInitialMs * 2 ** Math.min(this.attempt, 30));
    // Half fixed, half random: spread out, yet never much shorter than the schedule.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt++;
    this.reconnectTimer = wallTimer(() => {
      this.reconnectTimer = undefined;
      void this.reconnect();
    }, delay);
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    let model: ChannelModel;
    try {
      model = await this.dial();
    } catch (error) {
      this.lastError = translateBrokerError(error, this.errors, 'connect').message;
      this.logger.warn({ broker: this.errors.broker, attempt: this.attempt, err: this.lastError }, 'reconnect to RabbitMQ failed; retrying');
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await model.close().catch(() => undefined);
      return;
    }
    this.adopt(model);
    this.logger.info({ broker: this.errors.broker, generation: this.generation }, 'reconnected to RabbitMQ');
    for (const listener of [...this.upListeners]) listener(this.live!);
  }
}

/** A wall-clock timer that keeps the process alive (see the module comment). */
export function wallTimer(callback: () => void, ms: number): Timer {
  const handle = setTimeout(callback, Math.max(0, ms));
  return { cancel: () => clearTimeout(handle) };
}

/**
 * amqplib writes every frame with its own `socket.write`, each one a system
 * call, and on loopback each one also wakes the broker: with one ack frame
 * and one publish frame per message, those calls were most of the
 * adapter's CPU. Corking the socket at the first write of an event-loop
 * turn and uncorking it on `nextTick` sends the turn's frames in one
 * `writev`, with no added latency (unlike Nagle's algorithm, which waits for
 * an acknowledgement). `stream` is amqplib's socket: internal, hence the
 * guard; without it, frames go out one by one as before.
 */
function coalesceWrites(model: ChannelModel): void {
  const socket = (model.connection as unknown as { stream?: Writable }).stream;
  if (socket === undefined || typeof socket.cork !== 'function') return;
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Writable['write'];
}
