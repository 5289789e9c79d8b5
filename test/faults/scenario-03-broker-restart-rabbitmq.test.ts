/**
 * Scenario 3 — broker restart, RabbitMQ half, connections cut.
 * Injects: a publisher (publisher confirms) and a consumer, each on its own
 * RabbitMQ TaskQueue connection, both through a TCP proxy in front of the
 * shared broker; at seeded moments mid-run the proxy cuts every connection
 * and refuses new ones for a seeded 50–500 ms: what a broker restart looks
 * like to its clients. The broker itself restarting (queues reloaded from
 * disk) is `scenario-03-broker-restart-rabbitmq-node`.
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
import { RABBITMQ_URL, startBrokerProxy } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';
import { startScenario } from './harness/scenario.js';
import { publishAcrossOutages } from './support/publish-across-outages.js';

const skip = await requireService('rabbitmq');

describe('scenario 3: broker restart (RabbitMQ, connections cut through a proxy)', { skip }, () => {
  const run = startScenario('03-broker-restart-rabbitmq');
  after(() => run.close());

  it('delivers every confirmed publish across connection cuts and ends with an empty queue', { timeout: 300_000 }, async () => {
    const proxy = await startBrokerProxy();
    let cuts = 0;
    try {
      const outcome = await publishAcrossOutages(run, {
        clientUrl: proxy.url, adminUrl: RABBITMQ_URL, fault: 'connection-cut', deleteQueuesAfter: true,
        outage: async () => {
          await sleep(run.between(0, 20));
          proxy.refuse();
          proxy.cut();
          await sleep(run.between(50, 500));
          proxy.resume();
          cuts++;
        },
      });
      const { check } = outcome;
      run.report({ check: { ...check, duplicated: 0 }, notes: { redelivered: check.duplicated } });
      assert.equal(cuts, outcome.planned, 'every planned cut happened');
      assert.equal(check.lost, 0, `confirmed but never delivered: ${check.lostKeys.join(', ')}`);
      assert.equal(check.unexpected, 0, `delivered but never published: ${check.unexpectedKeys.join(', ')}`);
      assert.deepEqual({ ready: outcome.final.ready, delayed: outcome.final.delayed, deadLettered: outcome.final.deadLettered }, { ready: 0, delayed: 0, deadLettered: 0 }, 'the queue is empty');
      assert.equal(outcome.inFlight, 0, 'nothing left in flight');
    } finally {
      await proxy.close();
    }
  });
});
