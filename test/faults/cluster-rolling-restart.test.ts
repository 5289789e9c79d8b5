/**
 * Fault: a rolling restart of every cluster worker mid-run, each drained
 * then replaced (see support/cluster-fault-harness). The CSV equals the
 * fault-free run's and each task is confirmed once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnMillrace, stopChild, type MillraceChild } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';
import { startClusterFaultHarness, type ClusterFaultHarness } from './support/cluster-fault-harness.js';

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));

describe('fault: a rolling restart of cluster workers (RabbitMQ, PostgreSQL, S3)', { skip }, () => {
  let h: ClusterFaultHarness;
  before(async () => {
    h = await startClusterFaultHarness('cluster-rolling-restart');
  });
  after(async () => {
    await h?.close();
  });

  it('a rolling restart of every worker mid-run (each drained, then replaced): byte-identical, 0 lost', async () => {
    const deployment = await h.deploy(h.services.env);
    const replacements: MillraceChild[] = [];
    await h.runWithFault(h.services.env, async () => {
      for (const old of deployment.workers) {
        assert.equal(await stopChild(old), 0, old.stderr());
        const fresh = spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1'], h.services.env);
        h.children.push(fresh);
        replacements.push(fresh);
        await fresh.waitFor('worker ready');
      }
    });
    await h.shutDown({ server: deployment.server, workers: replacements });
  });
});
