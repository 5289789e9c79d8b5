/**
 * @module bench/queue-cluster
 * The `queue` workload on the cluster queue: publish N no-op messages in
 * batches of 1000 while one consumer with concurrency 100 acks each; the
 * clock runs from the first publish to the last ack.
 *
 * Rows: `millrace-rabbitmq` (`RabbitMqTaskQueue` through the `TaskQueue`
 * port), `amqplib-ceiling` (bare amqplib with the same durability and none
 * of the queue logic: durable queue, persistent messages, a confirm channel
 * waited on per batch, manual acks, prefetch 100: what this broker allows
 * on this machine) and `bullmq` (the same peer as in `queue`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { DEFAULT_RABBITMQ_URL } from '../src/adapters/rabbitmq/rabbitmq-options.js';
import { createRabbitMqTaskQueue } from '../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import type { OutgoingMessage } from '../src/ports/task-queue.js';
import { isServiceUp } from '../test/helpers/services.js';
import type { Benchmark, BenchOptions, Peer } from './harness.js';
import { CONCURRENCY, PUBLISH_BATCH, batches, bullmqPeer, countdown, messageCount, untilAborted } from './queue.bench.js';

const URL = process.env.MILLRACE_RABBITMQ_URL ?? DEFAULT_RABBITMQ_URL;
const QUEUE = 'bench-noop';

export const queueClusterBenchmark: Benchmark = {
  name: 'queue-cluster',
  title: 'end-to-end no-op task throughput on the cluster queue',
  unit: 'messages/s',
  higherIsBetter: true,
  workload: (options) => `${messageCount(options).toLocaleString('en-US')} messages published in batches of ${PUBLISH_BATCH}, consumed with concurrency ${CONCURRENCY}, each acked`,
  peers: (options) => [millraceRabbitPeer(options), amqplibCeilingPeer(options), bullmqPeer(options)],
  ratios: [['millrace-rabbitmq', 'amqplib-ceiling'], ['millrace-rabbitmq', 'bullmq']],
  runTimeoutMs: (options) => (options.quick ? 60_000 : 180_000),
};

const rabbitUnavailable = async (): Promise<string | undefined> => ((await isServiceUp('rabbitmq')) ? undefined : 'RabbitMQ is not reachable on 127.0.0.1:5672');

function millraceRabbitPeer(options: BenchOptions): Peer {
  return {
    system: 'millrace-rabbitmq',
    unavailable: rabbitUnavailable,
    conditions: describeBroker,
    run: async (signal) => {
      const count = messageCount(options);
      const toPublish = batches<OutgoingMessage>(count, (i) => ({ name: 'noop', payload: { i } }));
      const prefix = `bench-${randomUUID().slice(0, 8)}.`;
      const queue = await createRabbitMqTaskQueue({ url: URL, prefix });
      try {
        const done = countdown(count);
        // Declared before the clock starts, as the ceiling's queue is.
        await queue.stats(QUEUE);
        const consumer = queue.consume(QUEUE, async (delivery) => {
          await delivery.ack();
          done.tick();
        }, { concurrency: CONCURRENCY });
        try {
          const start = performance.now();
          for (const batch of toPublish) {
            signal.throwIfAborted();
            await queue.publish(QUEUE, batch);
          }
          await untilAborted(done.promise, signal);
          return count / ((performance.now() - start) / 1000);
        } finally {
          await consumer.stop({ drain: false });
        }
      } finally {
        await queue.deleteQueue(QUEUE).catch(() => undefined);
        await queue.close();
      }
    },
  };
}

/** The broker with nothing on top: what millrace-rabbitmq can approach. */
function amqplibCeilingPeer(options: BenchOptions): Peer {
  return {
    system: 'amqplib-ceiling',
    unavailable: rabbitUnavailable,
    conditions: async () => `amqplib ${amqplibVersion()}: durable queue, persistent messages, confirm channel (waitForConfirms per batch), manual ack, prefetch ${CONCURRENCY}`,
    run: async (signal) => {
      const count = messageCount(options);
      const toPublish = batches(count, (i) => Buffer.from(JSON.stringify({ i })));
      const name = `bench-ceiling-${randomUUID().slice(0, 8)}`;
      const connection = await connect(URL);
      try {
        const publisher = await connection.createConfirmChannel();
        const consumer = await connection.createChannel();
        await publisher.assertQueue(name, { durable: true });
        await consumer.prefetch(CONCURRENCY);
        const done = countdown(count);
        await consumer.consume(name, (message: ConsumeMessage | null) => {
          if (message === null) return;
          consumer.ack(message);
          done.tick();
        });
        const start = performance.now();
        for (const batch of toPublish) {
          signal.throwIfAborted();
          for (const body of batch) {
            if (!publisher.sendToQueue(name, body, { persistent: true, contentType: 'application/json' })) await new Promise((resolve) => publisher.once('drain', resolve));
          }
          await publisher.waitForConfirms();
        }
        await untilAborted(done.promise, signal);
        const rate = count / ((performance.now() - start) / 1000);
        await publisher.deleteQueue(name);
        return rate;
      } finally {
        await connection.close().catch(() => undefined);
      }
    },
  };
}

/** The broker's version and where its data lives decide what these rows are worth; printed, not assumed. */
async function describeBroker(): Promise<string> {
  try {
    const connection = await connect(URL);
    const version = connection.connection.serverProperties.version;
    await connection.close();
    return `RabbitMQ ${version} on 127.0.0.1 (one node), RabbitMqTaskQueue: classic priority queue, persistent messages, publisher confirms, manual acks, prefetch ${CONCURRENCY}`;
  } catch {
    return 'RabbitMQ version unknown';
  }
}

function amqplibVersion(): string {
  // amqplib's exports map hides package.json; read it beside the entry point.
  const entry = createRequire(import.meta.url).resolve('amqplib');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
