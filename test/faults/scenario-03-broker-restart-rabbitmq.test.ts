/**
 * Scenario 3 — broker restart, RabbitMQ half.
 * Injects: a publisher (publisher confirms) and a consumer, each on its own
 * RabbitMQ TaskQueue connection, both through a TCP proxy in front of the
 * broker; at seeded moments mid-run the proxy cuts every connection and
 * refuses new ones for a seeded 50–500 ms. To both clients that is what a
 * broker restart looks like — sockets dropped, reconnects refused, then
 * accepted — but it is not one: the broker keeps its queues in memory and
 * the tests share it, and restarting it needs privileges the suite does
 * not have. What a real restart adds (queues reloaded from disk) is the
 * broker's promise for durable queues and persistent messages, which the
 * adapter uses.
 * Pass: every publish that resolved (was confirmed) is delivered (0 lost),
 * nothing nobody published is (0 unexpected); deliveries beyond the first —
 * a delivery lost with its connection, or a batch the publisher sent again
 * because its confirm was lost in a cut — are at-least-once redeliveries
 * and reported as `redelivered`; the queue is empty at the end, nothing
 * dead-lettered.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRabbitMqTaskQueue } from '../../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import type { TaskQueue } from '../../src/ports/task-queue.js';
import { deleteQueues, freshPrefix, RABBITMQ_URL, recordingQueues, startBrokerProxy } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';
import { checkLedger } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';

const skip = await requireService('rabbitmq');

describe('scenario 3: broker restart (RabbitMQ, connections cut through a proxy)', { skip }, () => {
  const run = startScenario('03-broker-restart-rabbitmq');
  after(() => run.close());

  it('delivers every confirmed publish across connection cuts and ends with an empty queue', { timeout: 300_000 }, async () => {
    const messages = run.size(2_000, 20_000);
    const cuts = run.size(3, 10);
    const batch = 20;
    const cutAt = new Set(Array.from({ length: cuts }, () => Math.floor(run.between(1, messages - 1) / batch)));
    const prefix = freshPrefix();
    const used = new Set<string>();
    const proxy = await startBrokerProxy();
    const open = async (url: string): Promise<TaskQueue> =>
      recordingQueues(await createRabbitMqTaskQueue({ url, prefix, reconnect: { initialMs: 20, maxMs: 200 } }), used);
    const publisher = await open(proxy.url);
    const consumerQueue = await open(proxy.url);
    const admin = await open(RABBITMQ_URL);
    const outages: Array<Promise<void>> = [];
    try {
      const consumer = consumerQueue.consume('work', async (delivery) => {
        run.ledger.record('delivered', String((delivery.payload as { key: string }).key));
        if (run.random() < 0.3) await sleep(1);
      }, { concurrency: 16, leaseMs: 10_000 });
      for (let next = 0, index = 0; next < messages; next += batch, index++) {
        if (cutAt.has(index)) outages.push(outage(run.between(0, 20), run.between(50, 500)));
        const keys = Array.from({ length: Math.min(batch, messages - next) }, (_, i) => `m-${next + i}`);
        await publisher.publish('work', keys.map((key) => ({ id: key, name: 'work', payload: { key } })));
        run.ledger.recordAll(keys.map((key) => ({ kind: 'confirmed', key })));
      }
      await Promise.all(outages);

      const confirmed = run.ledger.keys('confirmed');
      for (let i = 0; i < 3_000; i++) {
        const stats = await admin.stats('work');
        if (stats.ready + stats.delayed === 0 && new Set(run.ledger.keys('delivered')).size >= confirmed.length) break;
        await sleep(20);
      }
      await consumer.stop();
      const stats = await admin.stats('work');
      const check = checkLedger(confirmed, run.ledger.keys('delivered'));
      run.report({ check: { ...check, duplicated: 0 }, notes: { redelivered: check.duplicated } });

      assert.equal(cutAt.size, run.faults['connection-cut'], 'every planned cut happened');
      assert.equal(check.lost, 0, `confirmed but never delivered: ${check.lostKeys.join(', ')}`);
      assert.equal(check.unexpected, 0, `delivered but never published: ${check.unexpectedKeys.join(', ')}`);
      assert.deepEqual({ ready: stats.ready, delayed: stats.delayed, deadLettered: stats.deadLettered }, { ready: 0, delayed: 0, deadLettered: 0 }, 'the queue is empty');
      assert.equal((await consumerQueue.stats('work')).inFlight, 0, 'nothing left in flight');
    } finally {
      await Promise.allSettled(outages);
      for (const queue of [publisher, consumerQueue, admin]) await queue.close();
      await proxy.close();
      await deleteQueues(prefix, used);
    }

    /** After `delayMs`, every connection cut and new ones refused for `downMs`: the "restart". */
    async function outage(delayMs: number, downMs: number): Promise<void> {
      await sleep(delayMs);
      proxy.refuse();
      proxy.cut();
      run.inject('connection-cut');
      await sleep(downMs);
      proxy.resume();
    }
  });
});
