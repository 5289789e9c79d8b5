/**
 * Scenario 3 — broker restart, RabbitMQ half, the broker itself.
 * Injects: a RabbitMQ node of the test's own (`helpers/private-rabbitmq.ts`:
 * the machine's installation, its own node name, ports and data directory)
 * restarted for real at seeded moments mid-run, 3 (small) / 10 (large)
 * times: `rabbitmqctl stop_app`, down for a seeded 50–500 ms, `start_app`.
 * Every connection drops, and the durable queue and its persistent
 * messages come back from the node's disk. A publisher (publisher
 * confirms) and a consumer slower than it run on their own connections
 * throughout, so messages wait in the queue at each restart
 * (`waitingAtRestarts`).
 * Pass: every publish that resolved (was confirmed) is delivered (0 lost),
 * nothing nobody published is (0 unexpected); repeats are at-least-once
 * redeliveries, reported as `redelivered`; the queue is empty at the end,
 * nothing dead-lettered, nothing in flight. Needs root to run the node:
 * skipped with a line saying so, a failure under `CI=true`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { requirePrivateBroker, startPrivateBroker, type PrivateBroker } from '../helpers/private-rabbitmq.js';
import { startScenario } from './harness/scenario.js';
import { publishAcrossOutages } from './support/publish-across-outages.js';

const skip = await requirePrivateBroker();

describe('scenario 3: broker restart (a RabbitMQ node of its own, restarted)', { skip }, () => {
  const run = startScenario('03-broker-restart-rabbitmq-node');
  let broker: PrivateBroker;
  before(async () => void (broker = await startPrivateBroker()));
  after(async () => {
    await broker?.stop();
    run.close();
  });

  it('delivers every confirmed publish across broker restarts, the queue reloaded from disk, and ends with it empty', { timeout: 300_000 }, async () => {
    let restarting = Promise.resolve();
    let restarted = 0;
    /** Confirmed and not yet delivered when each restart began: what the node had to bring back from disk. */
    const waiting: number[] = [];
    const outcome = await publishAcrossOutages(run, {
      clientUrl: broker.url, adminUrl: broker.url, fault: 'broker-restart', deleteQueuesAfter: false, backlog: true,
      // One restart at a time: a second stop_app while the node is starting would only queue behind it.
      outage: () => (restarting = restarting.then(async () => {
        await sleep(run.between(0, 20));
        waiting.push(run.ledger.keys('confirmed').length - new Set(run.ledger.keys('delivered')).size);
        await broker.restart(run.between(50, 500));
        restarted++;
      })),
    });
    const { check } = outcome;
    run.report({ check: { ...check, duplicated: 0 }, notes: { redelivered: check.duplicated, waitingAtRestarts: waiting.join('/') } });
    assert.ok(waiting.some((n) => n > 0), 'messages were waiting in the queue when the broker went down (so they came back from its disk)');
    assert.equal(restarted, outcome.planned, 'every planned restart happened');
    assert.equal(check.lost, 0, `confirmed but never delivered: ${check.lostKeys.join(', ')}`);
    assert.equal(check.unexpected, 0, `delivered but never published: ${check.unexpectedKeys.join(', ')}`);
    assert.deepEqual({ ready: outcome.final.ready, delayed: outcome.final.delayed, deadLettered: outcome.final.deadLettered }, { ready: 0, delayed: 0, deadLettered: 0 }, 'the queue is empty');
    assert.equal(outcome.inFlight, 0, 'nothing left in flight');
  });
});
