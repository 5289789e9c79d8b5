/**
 * @module adapters/rabbitmq/rabbitmq-options
 * Options of the RabbitMQ task queue, their defaults and checks, and the
 * broker URL taken apart so that only `host:port/vhost` is ever shown.
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/** Options of {@link RabbitMqTaskQueue}. */
export interface RabbitMqTaskQueueOptions {
  /**
   * Broker URL, `amqp://user:password@host:port/vhost` (or `amqps://`). The
   * user name and password are never logged or put in an error.
   * @defaultValue `amqp://guest:guest@127.0.0.1:5672` (RabbitMQ's own default: a local broker)
   */
  url?: string;
  /**
   * Put before every queue name on the broker, so several deployments (or
   * tests) can share one vhost. Letters, digits, `.`, `_`, `-`, `:`; up to 40.
   * @defaultValue `''`
   */
  prefix?: string;
  /** Source of time for leases and request timeouts (not for broker-side delays, which run on the broker's clock). @defaultValue a `SystemClock` */
  clock?: Clock;
  /** @defaultValue `silentLogger` */
  logger?: Logger;
  /**
   * Deliveries before a message is dead-lettered, when the message names
   * none. A message published with exactly this value travels without it
   * and takes the consuming instance's: give every instance the same.
   * @defaultValue 5
   */
  maxAttempts?: number;
  /** Lease length when `consume` names none. @defaultValue 30 000 */
  defaultLeaseMs?: number;
  /**
   * The broker's `consumer_timeout` (rabbitmq.conf): a delivery left unacked
   * longer has its channel closed by the broker. Leases are capped one
   * minute (or a tenth) below it, so a handler that outlives it loses its
   * lease cleanly instead of taking the channel down. Raise both together
   * for tasks longer than 30 minutes.
   * @defaultValue 1 800 000 (30 minutes, RabbitMQ 3.10's default)
   */
  deliveryTimeoutMs?: number;
  /** AMQP heartbeat asked of the broker, in seconds; a dead peer is noticed after about two. @defaultValue 20 */
  heartbeatSeconds?: number;
  /** Time allowed for the first connection; past it, creating the queue fails with `NOT_AVAILABLE`. @defaultValue 10 000 */
  connectTimeoutMs?: number;
  /**
   * How long `publish`, `stats` and the other calls wait for the broker
   * during an outage (reconnecting in the background) before failing with
   * `NOT_AVAILABLE`. @defaultValue 30 000
   */
  unavailableTimeoutMs?: number;
  /** First and longest wait between reconnection attempts (doubling, with jitter). @defaultValue `{ initialMs: 100, maxMs: 10 000 }` */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Shown in the broker's connection list (`rabbitmqctl list_connections client_properties`). @defaultValue `millrace:<instance id>` */
  connectionName?: string;
}

/** Options with defaults applied and checked. */
export interface ResolvedRabbitMqOptions {
  endpoint: BrokerEndpoint;
  prefix: string;
  maxAttempts: number;
  defaultLeaseMs: number;
  deliveryTimeoutMs: number;
  heartbeatSeconds: number;
  connectTimeoutMs: number;
  unavailableTimeoutMs: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

/** The parts of a broker URL, and how to show it without credentials. */
export interface BrokerEndpoint {
  protocol: 'amqp' | 'amqps';
  hostname: string;
  port: number;
  vhost: string;
  username: string;
  password: string;
  /** `host:port/vhost`, the only form that appears in logs and errors. */
  display: string;
  /** What to scrub from any driver message. */
  secrets: string[];
}

/** The local broker the tests and the benchmark use. */
export const DEFAULT_RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672';
const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{0,40}$/;

/** @throws `CONFIG_INVALID` */
export function resolveOptions(options: RabbitMqTaskQueueOptions): ResolvedRabbitMqOptions {
  const prefix = options.prefix ?? '';
  if (!PREFIX_PATTERN.test(prefix)) throw invalid('prefix', prefix, "use up to 40 letters, digits, '.', '_', '-', ':'");
  const resolved = {
    endpoint: parseBrokerUrl(options.url ?? DEFAULT_RABBITMQ_URL),
    prefix,
    maxAttempts: options.maxAttempts ?? 5,
    defaultLeaseMs: options.defaultLeaseMs ?? 30_000,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 1_800_000,
    heartbeatSeconds: options.heartbeatSeconds ?? 20,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    unavailableTimeoutMs: options.unavailableTimeoutMs ?? 30_000,
    reconnectInitialMs: options.reconnect?.initialMs ?? 100,
    reconnectMaxMs: options.reconnect?.maxMs ?? 10_000,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) throw invalid('maxAttempts', resolved.maxAttempts, 'an integer >= 1');
  if (!Number.isInteger(resolved.heartbeatSeconds) || resolved.heartbeatSeconds < 0) throw invalid('heartbeatSeconds', resolved.heartbeatSeconds, 'an integer >= 0 (0 turns heartbeats off)');
  for (const name of ['defaultLeaseMs', 'deliveryTimeoutMs', 'connectTimeoutMs', 'unavailableTimeoutMs', 'reconnectInitialMs', 'reconnectMaxMs'] as const) {
    const value = resolved[name];
    if (!Number.isFinite(value) || value <= 0) throw invalid(name, value, 'a positive number of milliseconds');
  }
  if (resolved.deliveryTimeoutMs < 10_000) throw invalid('deliveryTimeoutMs', resolved.deliveryTimeoutMs, 'at least 10 000 (the broker checks its consumer_timeout about once a minute)');
  return resolved;
}

/**
 * Takes a broker URL apart. The error for a bad URL names no part of it:
 * a URL that fails to parse may still hold a password.
 *
 * @throws `CONFIG_INVALID`
 */
export function parseBrokerUrl(url: string): BrokerEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MillraceError('CONFIG_INVALID', 'the RabbitMQ URL is not a valid URL (expected amqp://user:password@host:port/vhost)');
  }
  const protocol = parsed.protocol.replace(/:$/, '');
  if (protocol !== 'amqp' && protocol !== 'amqps') throw new MillraceError('CONFIG_INVALID', `the RabbitMQ URL must start with amqp:// or amqps://, not ${protocol}://`);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? (protocol === 'amqps' ? 5671 : 5672) : Number(parsed.port);
  const vhost = parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : '/';
  const username = decodeURIComponent(parsed.username) || 'guest';
  const password = decodeURIComponent(parsed.password) || 'guest';
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    protocol,
    hostname,
    port,
    vhost,
    username,
    password,
    display: `${host}:${port}${vhost === '/' ? '/' : `/${vhost}`}`,
    // A very short user name would scrub ordinary words out of messages; a password is scrubbed whatever its length.
    secrets: [url, password, ...(username.length >= 3 ? [username] : [])],
  };
}

function invalid(name: string, value: unknown, expected: string): MillraceError {
  return new MillraceError('CONFIG_INVALID', `RabbitMQ task queue option ${name} is invalid (${String(value)}): expected ${expected}`, { option: name });
}
