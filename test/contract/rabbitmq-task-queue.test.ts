/**
 * `RabbitMqTaskQueue` against the real broker: the shared TaskQueue contract
 * with a fresh queue-name prefix per test (its queues deleted afterwards),
 * then what only a broker shows: a connection cut under load (nothing
 * confirmed is lost, consumers resume), a server-side close, a broker that
 * cannot be reached, credentials kept out of errors and logs, and a crash
 * loop that still ends in the dead-letter queue.
 *
 * It never restarts the shared broker: outages are made with a TCP proxy in
 * front of it, or by closing this test's own connection from the server side.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import type { RabbitMqTaskQueueOptions } from '../../src/adapters/rabbitmq/rabbitmq-options.js';
import { createRabbitMqTaskQueue } from '../../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import { MAX_DELAY_MS } from '../../src/adapters/rabbitmq/rabbitmq-topology.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Logger } from '../../src/core/logger.js';
import type { Delivery, TaskQueue } from '../../src/ports/task-queue.js';
import { canUseRabbitmqctl, closeConnectionsNamed, deleteQueues, freshPrefix, RABBITMQ_URL, recordingQueues, startBrokerProxy } from '../helpers/rabbitmq.js';
import type { BrokerProxy } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';
import { rejectsWith, waitFor } from './task-queue-contract/support.js';
import { taskQueueContract } from './task-queue.contract.js';

const skip = await requireService('rabbitmq');
const START = 1_700_000_000_000;

void describe('RabbitMqTaskQueue', { skip }, () => {
  taskQueueContract('RabbitMqTaskQueue', async () => {
    const prefix = freshPrefix();
    const clock = new ManualClock(START);
    const used = new Set<string>();
    const open = async (): Promise<TaskQueue> => recordingQueues(await createRabbitMqTaskQueue({ url: RABBITMQ_URL, prefix, clock }), used);
    let queue = await open();
    return {
      queue,
      clock,
      // Leases and request timeouts run on the clock; delays are message TTLs on the broker's.
      capabilities: { dedupesQueuedIds: false, delaysFollowClock: false },
      reopen: async () => {
        await queue.close();
        queue = await open();
        return queue;
      },
      cleanup: async () => {
        await queue.close();
        await deleteQueues(prefix, used);
      },
    };
  });
});

void describe('RabbitMqTaskQueue on the broker', { skip }, () => {
  let prefix: string;
  const used = new Set<string>();
  const opened: TaskQueue[] = [];
  const proxies: BrokerProxy[] = [];
  const open = async (options: RabbitMqTaskQueueOptions = {}): Promise<TaskQueue> => {
    const queue = recordingQueues(await createRabbitMqTaskQueue({ url: RABBITMQ_URL, prefix, reconnect: { initialMs: 20, maxMs: 200 }, ...options }), used);
    opened.push(queue);
    return queue;
  };

  beforeEach(() => {
    prefix = freshPrefix();
  });
  afterEach(async () => {
    for (const queue of opened.splice(0)) await queue.close();
    for (const proxy of proxies.splice(0)) await proxy.close();
    await deleteQueues(prefix, used);
    used.clear();
  });

  void it('loses no confirmed message when the connection is cut under load, and consumers resume', async () => {
    const proxy = await startBrokerProxy();
    proxies.push(proxy);
    const logs = capturingLogger();
    const queue = await open({ url: proxy.url, logger: logs.logger });
    const received = new Set<string>();
    let held: Delivery | undefined;
    queue.consume('load', async (d) => {
      if (d.id === 'hold-me' && held === undefined) {
        held = d;
        await new Promise((resolve) => d.signal.addEventListener('abort', resolve));
        return;
      }
      received.add(d.id);
    }, { concurrency: 10 });
    await queue.publish('load', { id: 'hold-me', name: 'n', payload: 0 });
    await waitFor(() => held !== undefined, 'the held delivery');

    const confirmed: string[] = [];
    const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 25 }, (_, i) => ({ id: `m-${b}-${i}`, name: 'n', payload: { b, i } })));
    const publishing = (async () => {
      for (const [b, batch] of batches.entries()) {
        if (b === 5) {
          proxy.refuse();
          proxy.cut();
          setTimeout(() => proxy.resume(), 300);
        }
        await queue.publish('load', batch);
        confirmed.push(...batch.map((m) => m.id));
      }
    })();
    await waitFor(() => held!.signal.aborted, 'the cut to abort the held delivery');
    await rejectsWith(held!.ack(), 'QUEUE_LEASE_LOST');
    await publishing;
    assert.equal(confirmed.length, 500);
    await waitFor(() => confirmed.every((id) => received.has(id)) && received.has('hold-me'), 'every confirmed message after the reconnect', 15_000);
    assert.ok(logs.lines.some((line) => line.includes('reconnected')), 'the reconnect is logged');
    for (const line of logs.lines) assert.doesNotMatch(line, /guest/, 'a log line names the credentials');
  });

  void it('resumes after the broker closes the connection (rabbitmqctl close_connection)', async (t) => {
    if (!(await canUseRabbitmqctl())) {
      t.skip('rabbitmqctl cannot reach the local node here');
      return;
    }
    const name = `millrace-test-${prefix}`;
    const queue = await open({ connectionName: name });
    const received = new Set<string>();
    queue.consume('closed', async (d) => void received.add(d.id), { concurrency: 5 });
    await queue.publish('closed', Array.from({ length: 20 }, (_, i) => ({ id: `a-${i}`, name: 'n', payload: i })));
    await waitFor(() => received.size === 20, 'the first twenty');
    assert.equal(await closeConnectionsNamed(name), 1);
    await queue.publish('closed', Array.from({ length: 20 }, (_, i) => ({ id: `b-${i}`, name: 'n', payload: i })));
    await waitFor(() => received.size === 40, 'the twenty published after the close', 15_000);
  });

  void it('counts deliveries lost with their consumer, so a crash loop ends in the dead-letter queue', async () => {
    const proxy = await startBrokerProxy();
    proxies.push(proxy);
    const queue = await open({ url: proxy.url });
    const admin = await open();
    await admin.publish('crash', { id: 'poison', name: 'n', payload: 1, maxAttempts: 2 });
    const attempts: number[] = [];
    queue.consume('crash', async (d) => {
      attempts.push(d.attempt);
      // The "crash": the handler never settles, and the consumer's connection dies under it.
      proxy.cut();
      await new Promise((resolve) => d.signal.addEventListener('abort', resolve));
    }, { concurrency: 1 });
    await waitFor(async () => (await admin.stats('crash')).deadLettered === 1, 'the dead letter', 15_000);
    assert.deepEqual(attempts, [1, 2]);
    const [dead] = await admin.deadLetters('crash');
    assert.equal(dead!.id, 'poison');
    assert.equal(dead!.attempts, 2);
    assert.match(dead!.reason, /without being settled/);
  });

  void it('fails fast with NOT_AVAILABLE naming host:port, never the credentials', async () => {
    const closedPort = await unusedPort();
    const secret = 'pa55-w0rd-that-must-not-leak';
    const error = await createRabbitMqTaskQueue({ url: `amqp://someone:${secret}@127.0.0.1:${closedPort}/prod`, connectTimeoutMs: 2000 }).then(() => undefined, (e: unknown) => e);
    assert.equal((error as { code?: unknown }).code, 'NOT_AVAILABLE');
    const shown = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 5 })}`;
    assert.match(shown, new RegExp(`127\\.0\\.0\\.1:${closedPort}/prod`));
    assert.doesNotMatch(shown, new RegExp(`${secret}|someone`));

    const refused = await createRabbitMqTaskQueue({ url: `amqp://guest:${secret}@127.0.0.1:5672`, prefix }).then(() => undefined, (e: unknown) => e);
    assert.equal((refused as { code?: unknown }).code, 'NOT_AVAILABLE');
    const refusedShown = `${String(refused)} ${JSON.stringify(refused)} ${inspect(refused, { depth: 5 })}`;
    assert.match(refusedShown, /refused the login/);
    assert.doesNotMatch(refusedShown, new RegExp(secret));
  });

  void it('refuses a delay beyond what a message TTL can hold, before sending anything', async () => {
    const queue = await open();
    await rejectsWith(queue.publish('too-late', [{ name: 'ok', payload: 1 }, { name: 'n', payload: 1, delayMs: MAX_DELAY_MS + 1 }]), 'QUEUE_MESSAGE_INVALID');
    assert.equal((await queue.stats('too-late')).ready, 0);
  });
});

/** A logger that keeps every line as JSON text. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const write = (fields: Record<string, unknown>, message: string): void => void lines.push(JSON.stringify({ ...bindings, ...fields, message }));
    return { debug: write, info: write, warn: write, error: write, child: (more) => make({ ...bindings, ...more }) };
  };
  return { logger: make({}), lines };
}

/** A local port nothing listens on (bound, then released). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
