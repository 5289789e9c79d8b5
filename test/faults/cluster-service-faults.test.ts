/**
 * Faults of the services under a cluster deployment (see
 * support/cluster-fault-harness): RabbitMQ gone for 3 s (every connection
 * cut and new ones refused, through a proxy so the broker other tests share
 * keeps running) and every PostgreSQL connection terminated. Each run must
 * give the fault-free CSV byte for byte and confirm each task once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminQuery } from '../helpers/postgres.js';
import { startBrokerProxy } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';
import { startClusterFaultHarness, type ClusterFaultHarness } from './support/cluster-fault-harness.js';

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));

describe('fault: cluster services (RabbitMQ, PostgreSQL)', { skip }, () => {
  let h: ClusterFaultHarness;
  before(async () => {
    h = await startClusterFaultHarness('cluster-services');
  });
  after(async () => {
    await h?.close();
  });

  it('RabbitMQ gone for 3 s mid-run (every connection cut, new ones refused): all processes reconnect, 0 lost', async () => {
    const proxy = await startBrokerProxy();
    try {
      const env = h.services.withQueueUrl(proxy.url);
      const deployment = await h.deploy(env);
      await h.runWithFault(env, async () => {
        proxy.refuse();
        proxy.cut();
        await sleep(3000);
        proxy.resume();
      });
      await h.shutDown(deployment);
      for (const child of [deployment.server, ...deployment.workers]) assert.match(child.stderr(), /reconnect/i, 'each process noticed the outage and reconnected');
    } finally {
      await proxy.close();
    }
  });

  it('every PostgreSQL connection of the deployment terminated mid-run: retried, 0 lost', async () => {
    const deployment = await h.deploy(h.services.env);
    await h.runWithFault(h.services.env, async () => {
      const killed = await adminQuery<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE $1 AND pg_terminate_backend(pid)`,
        [`%${h.services.schema}%`],
      );
      assert.ok(killed.length > 0, 'connections were terminated');
    });
    await h.shutDown(deployment);
  });
});
