/**
 * Fault: a cluster worker SIGKILLed while it holds 16 unacknowledged tasks
 * (see support/cluster-fault-harness). The broker hands them to the other
 * worker; the CSV equals the fault-free run's and each task is confirmed once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { workerStats, type MillraceChild } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';
import { startClusterFaultHarness, type ClusterFaultHarness } from './support/cluster-fault-harness.js';

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));

describe('fault: a cluster worker SIGKILLed (RabbitMQ, PostgreSQL, S3)', { skip }, () => {
  let h: ClusterFaultHarness;
  before(async () => {
    h = await startClusterFaultHarness('cluster-kill-worker');
  });
  after(async () => {
    await h?.close();
  });

  it('a worker SIGKILLed while holding tasks: they go to the other worker, 0 lost, each confirmed once', async () => {
    const deployment = await h.deploy(h.services.env);
    const [victim, survivor] = deployment.workers as [MillraceChild, MillraceChild];
    await h.runWithFault(h.services.env, async () => {
      victim.process.kill('SIGKILL');
      await victim.exited;
    });
    await h.shutDown(deployment);
    assert.ok((workerStats(survivor)?.redeliveries ?? 0) > 0, 'the survivor received the victim\'s tasks again');
  });
});
