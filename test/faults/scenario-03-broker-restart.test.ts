/**
 * Scenario 3 — broker restart, embedded.
 * Injects: the embedded (SQLite) queue is closed under a running publisher
 * and consumer and reopened over the same file, several times mid-run, as
 * an engine restart would do; deliveries in hand at the close are released
 * unacknowledged.
 * Pass: every publish that resolved (confirmed) is delivered and acked
 * (0 lost); deliveries beyond the first are at-least-once redeliveries and
 * reported (`redelivered`), never a message nobody published (0
 * unexpected); every queue is empty at the end.
 * The RabbitMQ half (connections cut through a proxy while publishing and
 * consuming) is `scenario-03-broker-restart-rabbitmq.test.ts`.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteTaskQueue } from '../../src/adapters/embedded/sqlite-task-queue.js';
import type { Consumer } from '../../src/ports/task-queue.js';
import { checkLedger } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';

describe('scenario 3: broker restart (embedded queue)', () => {
  const run = startScenario('03-broker-restart');
  after(() => run.close());

  it('delivers every confirmed publish across restarts and ends with empty queues', { timeout: 300_000 }, async () => {
    const messages = run.size(2_000, 20_000);
    const restarts = run.size(3, 10);
    const path = run.dir.file('queue.db');
    const restartAt = new Set(Array.from({ length: restarts }, () => run.between(1, messages - 1)));
    let queue = new SqliteTaskQueue({ path });
    const consume = (): Consumer => queue.consume('work', async (delivery) => {
      run.ledger.record('delivered', String((delivery.payload as { key: string }).key));
      if (run.random() < 0.3) await sleep(1);
    }, { concurrency: 16, leaseMs: 2_000 });
    let consumer = consume();
    const batch = 20;
    for (let next = 0; next < messages; next += batch) {
      const keys = Array.from({ length: Math.min(batch, messages - next) }, (_, i) => `m-${next + i}`);
      await queue.publish('work', keys.map((key) => ({ id: key, name: 'work', payload: { key } })));
      run.ledger.recordAll(keys.map((key) => ({ kind: 'confirmed', key })));
      if (keys.some((key) => restartAt.has(Number(key.slice(2))))) {
        await consumer.stop({ drain: false });
        await queue.close();
        run.inject('queue-restart');
        queue = new SqliteTaskQueue({ path });
        consumer = consume();
      }
    }
    try {
      for (let i = 0; i < 3_000; i++) {
        const stats = await queue.stats('work');
        if (stats.ready + stats.inFlight + stats.delayed === 0) break;
        await sleep(20);
      }
      await consumer.stop();
      const stats = await queue.stats('work');
      const check = checkLedger(run.ledger.keys('confirmed'), run.ledger.keys('delivered'));
      run.report({ check: { ...check, duplicated: 0 }, notes: { redelivered: check.duplicated, queueRedelivered: stats.redelivered } });

      assert.equal(check.lost, 0, `confirmed but never delivered: ${check.lostKeys.join(', ')}`);
      assert.equal(check.unexpected, 0);
      assert.deepEqual({ ready: stats.ready, inFlight: stats.inFlight, delayed: stats.delayed, deadLettered: stats.deadLettered }, { ready: 0, inFlight: 0, delayed: 0, deadLettered: 0 }, 'the queue is empty');
    } finally {
      await queue.close();
    }
  });
});
