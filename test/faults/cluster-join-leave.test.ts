/**
 * Fault: workers join and leave a cluster mid-run (see
 * support/cluster-fault-harness). A SIGTERMed worker drains and exits 0, a
 * new one takes over; the CSV equals the fault-free run's, each task once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnMillrace, stopChild, workerStats, type MillraceChild } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';
import { startClusterFaultHarness, type ClusterFaultHarness } from './support/cluster-fault-harness.js';

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));

describe('fault: cluster workers join and leave (RabbitMQ, PostgreSQL, S3)', { skip }, () => {
  let h: ClusterFaultHarness;
  before(async () => {
    h = await startClusterFaultHarness('cluster-join-leave');
  });
  after(async () => {
    await h?.close();
  });

  it('workers join and leave mid-run: a SIGTERMed worker drains and exits 0, a new one takes over, 0 lost', async () => {
    const deployment = await h.deploy(h.services.env);
    const [leaving, staying] = deployment.workers as [MillraceChild, MillraceChild];
    let joined: MillraceChild | undefined;
    await h.runWithFault(h.services.env, async () => {
      joined = spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1'], h.services.env);
      h.children.push(joined);
      await joined.waitFor('worker ready');
      assert.equal(await stopChild(leaving), 0, leaving.stderr());
    });
    assert.match(leaving.stderr(), /draining: finishing tasks in hand/);
    assert.ok((workerStats(leaving)?.succeeded ?? 0) > 0, 'the leaving worker finished what it held');
    await h.shutDown({ server: deployment.server, workers: [staying, joined!] });
  });
});
