/**
 * RabbitMQ for tests: the local broker (or `MILLRACE_TEST_RABBITMQ_URL`), a
 * fresh queue-name prefix per test, a record of the queues a test touched so
 * they can be deleted afterwards, a server-side close of one named
 * connection (`rabbitmqctl`), and a TCP proxy that can cut every connection
 * through it and refuse new ones for a while: a dropped network or a broker
 * outage, without touching the broker other tests share.
 * Gate suites with `requireService('rabbitmq')`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect as connectTcp } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { promisify } from 'node:util';
import { createRabbitMqTaskQueue } from '../../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import { QUEUE_NAME_PATTERN } from '../../src/ports/task-queue.js';
import type { TaskQueue } from '../../src/ports/task-queue.js';

/** Where the tests' broker is. */
export const RABBITMQ_URL = process.env.MILLRACE_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A prefix no other test uses. */
export function freshPrefix(): string {
  return `mr-test-${randomBytes(5).toString('hex')}.`;
}

/** Wraps a queue so every queue name it is asked about is recorded in `used`. */
export function recordingQueues<Q extends TaskQueue>(queue: Q, used: Set<string>): Q {
  const named = new Set(['publish', 'consume', 'request', 'stats', 'deadLetters', 'requeueDeadLetter']);
  return new Proxy(queue, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || !named.has(property)) return typeof value === 'function' ? value.bind(target) : value;
      return (name: unknown, ...rest: unknown[]) => {
        if (typeof name === 'string' && QUEUE_NAME_PATTERN.test(name)) used.add(name);
        return (value as (...args: unknown[]) => unknown).call(target, name, ...rest);
      };
    },
  });
}

/** Deletes the broker objects behind each of `queues` under `prefix`. */
export async function deleteQueues(prefix: string, queues: Iterable<string>): Promise<void> {
  const admin = await createRabbitMqTaskQueue({ url: RABBITMQ_URL, prefix });
  try {
    for (const queue of queues) await admin.deleteQueue(queue);
  } finally {
    await admin.close();
  }
}

const run = promisify(execFile);

/** True when `rabbitmqctl` can talk to the local node (it needs the Erlang cookie: root, or the rabbitmq user). */
export async function canUseRabbitmqctl(): Promise<boolean> {
  try {
    await run('rabbitmqctl', ['-q', 'list_connections', 'pid'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Closes, from the broker's side, every connection whose client-provided name is `name`; returns how many. */
export async function closeConnectionsNamed(name: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', '--no-table-headers', 'pid', 'client_properties'], { timeout: 20_000 });
  const pids = stdout.split('\n').filter((line) => line.includes(`{"connection_name","${name}"}`)).map((line) => line.split('\t')[0]!.trim());
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by a millrace test'], { timeout: 20_000 });
  return pids.length;
}

/** A TCP proxy in front of the broker that a test can cut. */
export interface BrokerProxy {
  /** `amqp://…@127.0.0.1:<proxy port>` with the broker's credentials. */
  readonly url: string;
  /** Destroys every connection through the proxy, both sides at once. */
  cut(): void;
  /** Refuses (destroys at once) new connections until `resume`. */
  refuse(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Starts a proxy on an ephemeral port of 127.0.0.1. */
export async function startBrokerProxy(target = RABBITMQ_URL): Promise<BrokerProxy> {
  const upstream = new URL(target);
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const broker = connectTcp(Number(upstream.port || 5672), upstream.hostname);
    const pair: [Socket, Socket] = [client, broker];
    pairs.add(pair);
    const end = (): void => {
      client.destroy();
      broker.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    broker.on('error', end).on('close', end);
    client.pipe(broker);
    broker.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const cut = (): void => {
    for (const [client, broker] of [...pairs]) {
      client.destroy();
      broker.destroy();
    }
    pairs.clear();
  };
  return {
    url: url.toString(),
    cut,
    refuse: () => (refusing = true),
    resume: () => (refusing = false),
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
