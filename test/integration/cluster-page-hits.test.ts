/**
 * Cluster mode by configuration alone: page-hits runs on RabbitMQ +
 * PostgreSQL + S3 with one `millrace server` and two `millrace worker`
 * processes, submitted by `millrace run`, and its CSV is byte-identical to
 * the embedded run's. The workers drain on SIGTERM and exit cleanly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generateLogs } from '../../examples/page-hits/index.js';
import { spawnMillrace, startClusterServices, stopChild, workerStats, type ClusterServices, type MillraceChild } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));
const SPLIT = JSON.stringify({ splitBytes: 256 * 1024 });

describe('cluster: page-hits on RabbitMQ, PostgreSQL and S3', { skip }, () => {
  let dir: TempDir;
  let services: ClusterServices;
  const children: MillraceChild[] = [];

  before(async () => {
    dir = createTempDir('millrace-cluster-');
    await generateLogs(dir.file('access.log'), 3_000_000, 5);
    services = await startClusterServices();
  });
  after(async () => {
    for (const child of children) await stopChild(child, 'SIGKILL');
    await services?.stop();
    dir?.remove();
  });

  it('produces the embedded CSV byte for byte with one server and two workers', async () => {
    const env = { ...services.env, MILLRACE_DATA_DIR: dir.file('unused-state') };
    const server = spawnMillrace(['server', 'examples/page-hits', '--port', '0'], env);
    const workers = [0, 1].map(() => spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1'], env));
    children.push(server, ...workers);
    await server.waitFor('listening on');
    await Promise.all(workers.map((worker) => worker.waitFor('worker ready')));

    const clustered = spawnMillrace(['run', 'examples/page-hits', '--input', dir.file('access.log'), '--input-json', SPLIT, '--out', dir.file('cluster-out'), '--quiet'], env);
    children.push(clustered);
    assert.equal(await clustered.exited, 0, clustered.stderr());
    assert.match(clustered.stderr(), /submitting to the cluster \(queue: rabbitmq amqp:\/\/127\.0\.0\.1:5672 prefix mr-test-/);
    assert.doesNotMatch(clustered.stderr() + server.stderr(), /guest:guest/, 'credentials never in output');

    const embedded = spawnMillrace(['run', 'examples/page-hits', '--input', dir.file('access.log'), '--input-json', SPLIT, '--out', dir.file('embedded-out'), '--quiet', '--data-dir', dir.file('embedded-state')], {});
    children.push(embedded);
    assert.equal(await embedded.exited, 0, embedded.stderr());

    const clusterCsv = readFileSync(dir.file('cluster-out/page-hits.csv'));
    assert.ok(clusterCsv.length > 1000);
    assert.ok(clusterCsv.equals(readFileSync(dir.file('embedded-out/page-hits.csv'))), 'cluster and embedded CSVs differ');

    // SIGTERM drains each worker: it exits 0 and reports what it did. Both took part.
    for (const worker of workers) assert.equal(await stopChild(worker), 0, worker.stderr());
    const done = workers.map((worker) => workerStats(worker)?.succeeded ?? 0);
    assert.ok(done.every((n) => n > 0), `both workers ran tasks: ${done.join(', ')}`);
    assert.equal(await stopChild(server), 0, server.stderr());
  });

  it('names the service that cannot be reached, without its credentials', async () => {
    const env = { ...services.env, MILLRACE_QUEUE: 'amqp://guest:hunter2@127.0.0.1:1/' };
    const worker = spawnMillrace(['worker', '--tasks', 'examples/page-hits'], env);
    children.push(worker);
    assert.equal(await worker.exited, 1);
    assert.match(worker.stderr(), /NOT_AVAILABLE: cannot reach the task queue at amqp:\/\/127\.0\.0\.1:1 \(MILLRACE_QUEUE\)/);
    assert.doesNotMatch(worker.stderr(), /hunter2/);
    const noStore = spawnMillrace(['status'], { ...services.env, MILLRACE_STORE: 'postgres://postgres:s3cret@127.0.0.1:1/test' });
    const noBlobs = spawnMillrace(['status'], { ...services.env, MILLRACE_BLOBS: 's3://bucket/prefix?endpoint=http://127.0.0.1:1' });
    children.push(noStore, noBlobs);
    assert.equal(await noStore.exited, 1);
    assert.match(noStore.stderr(), /NOT_AVAILABLE: cannot reach the store \(events, log, checkpoints\) at postgres:\/\/127\.0\.0\.1:1\/test \(MILLRACE_STORE\)/);
    assert.doesNotMatch(noStore.stderr(), /s3cret/);
    assert.equal(await noBlobs.exited, 1);
    assert.match(noBlobs.stderr(), /NOT_AVAILABLE: cannot reach the blob store at s3:\/\/bucket\/prefix \(MILLRACE_BLOBS\)/);
    const badStore = spawnMillrace(['status'], { ...services.env, MILLRACE_STORE: 'mysql://db/app' });
    children.push(badStore);
    assert.equal(await badStore.exited, 1);
    assert.match(badStore.stderr(), /CONFIG_INVALID: MILLRACE_STORE must start with postgres:\/\/ or postgresql:\/\//);
  });
});
