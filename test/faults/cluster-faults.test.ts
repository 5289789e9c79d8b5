/**
 * Faults of a cluster deployment, against the real services: one
 * `millrace server` and two `millrace worker` processes run page-hits on
 * RabbitMQ + PostgreSQL + S3 while the test breaks something mid-run:
 *
 * - a worker is SIGKILLed holding tasks: they are redelivered to the other;
 * - RabbitMQ goes away (every connection cut, new ones refused for 3 s,
 *   through a proxy so the shared broker of other tests is untouched):
 *   every process reconnects and carries on;
 * - every PostgreSQL connection of the deployment is terminated: retried.
 *
 * Each time the CSV must equal the fault-free embedded run's byte for byte
 * (nothing lost, nothing counted twice), and the history must confirm
 * every task exactly once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateLogs } from '../../examples/page-hits/index.js';
import { spawnMillrace, startClusterServices, stopChild, workerStats, type ClusterServices, type MillraceChild } from '../helpers/cluster.js';
import { adminQuery } from '../helpers/postgres.js';
import { startBrokerProxy } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));
const SPLIT = JSON.stringify({ splitBytes: 128 * 1024 });

interface Deployment {
  server: MillraceChild;
  workers: MillraceChild[];
}

describe('fault: cluster (RabbitMQ, PostgreSQL, S3)', { skip }, () => {
  let dir: TempDir;
  let services: ClusterServices;
  let reference: Buffer;
  const children: MillraceChild[] = [];
  let runs = 0;

  before(async () => {
    dir = createTempDir('millrace-cluster-faults-');
    await generateLogs(dir.file('access.log'), 3_000_000, 9);
    services = await startClusterServices();
    const embedded = spawnMillrace(['run', 'examples/page-hits', '--input', dir.file('access.log'), '--input-json', SPLIT, '--out', dir.file('reference'), '--quiet', '--data-dir', dir.file('embedded')], {});
    children.push(embedded);
    assert.equal(await embedded.exited, 0, embedded.stderr());
    reference = readFileSync(dir.file('reference/page-hits.csv'));
  });
  after(async () => {
    for (const child of children) await stopChild(child, 'SIGKILL');
    await services?.stop();
    dir?.remove();
  });

  async function deploy(env: Record<string, string>): Promise<Deployment> {
    const server = spawnMillrace(['server', 'examples/page-hits', '--port', '0'], env);
    // One thread each, 16 tasks in hand each: a killed worker surely holds unacknowledged tasks.
    const workers = [0, 1].map(() => spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1', '--concurrency', '16'], env));
    children.push(server, ...workers);
    await server.waitFor('listening on');
    await Promise.all(workers.map((worker) => worker.waitFor('worker ready')));
    return { server, workers };
  }

  /** Submits page-hits, waits for `completedBeforeFault` task completions, runs `fault`, then checks the outcome. */
  async function runWithFault(env: Record<string, string>, fault: () => Promise<void>): Promise<void> {
    const out = dir.file(`out-${++runs}`);
    const client = spawnMillrace(['run', 'examples/page-hits', '--input', dir.file('access.log'), '--input-json', SPLIT, '--out', out, '--quiet'], env);
    children.push(client);
    const processId = await processIdOf(client);
    await untilCompletions(processId, 3);
    await fault();
    assert.equal(await client.exited, 0, client.stderr());
    assert.ok(readFileSync(`${out}/page-hits.csv`).equals(reference), 'the CSV differs from the fault-free run');
    const twice = await adminQuery(
      `SELECT data::jsonb->>'taskId' AS task, count(*) AS n FROM "${services.schema}".events WHERE stream_id = $1 AND type = 'TaskCompleted' GROUP BY 1 HAVING count(*) > 1`,
      [`process-${processId}`],
    );
    assert.deepEqual(twice, [], 'a task was confirmed twice');
  }

  async function processIdOf(client: MillraceChild): Promise<string> {
    for (let waited = 0; waited < 60_000; waited += 50) {
      const match = /process (\S+) \(page-hits v1\) started/.exec(client.stderr());
      if (match !== null) return match[1]!;
      if (client.process.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`the run did not start a process: ${client.stderr()}`);
  }

  async function untilCompletions(processId: string, count: number): Promise<void> {
    for (let waited = 0; waited < 60_000; waited += 20) {
      const [row] = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${services.schema}".events WHERE stream_id = $1 AND type = 'TaskCompleted'`, [`process-${processId}`]);
      if (Number(row!.n) >= count) return;
      await sleep(20);
    }
    throw new Error(`process ${processId} did not complete ${count} tasks in time`);
  }

  async function shutDown(deployment: Deployment): Promise<void> {
    for (const worker of deployment.workers) await stopChild(worker);
    await stopChild(deployment.server);
  }

  it('a worker SIGKILLed while holding tasks: they go to the other worker, 0 lost, each confirmed once', async () => {
    const deployment = await deploy(services.env);
    const [victim, survivor] = deployment.workers as [MillraceChild, MillraceChild];
    await runWithFault(services.env, async () => {
      victim.process.kill('SIGKILL');
      await victim.exited;
    });
    await shutDown(deployment);
    assert.ok((workerStats(survivor)?.redeliveries ?? 0) > 0, 'the survivor received the victim\'s tasks again');
  });

  it('workers join and leave mid-run: a SIGTERMed worker drains and exits 0, a new one takes over, 0 lost', async () => {
    const deployment = await deploy(services.env);
    const [leaving, staying] = deployment.workers as [MillraceChild, MillraceChild];
    let joined: MillraceChild | undefined;
    await runWithFault(services.env, async () => {
      joined = spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1'], services.env);
      children.push(joined);
      await joined.waitFor('worker ready');
      assert.equal(await stopChild(leaving), 0, leaving.stderr());
    });
    assert.match(leaving.stderr(), /draining: finishing tasks in hand/);
    assert.ok((workerStats(leaving)?.succeeded ?? 0) > 0, 'the leaving worker finished what it held');
    await shutDown({ server: deployment.server, workers: [staying, joined!] });
  });

  it('a rolling restart of every worker mid-run (each drained, then replaced): byte-identical, 0 lost', async () => {
    const deployment = await deploy(services.env);
    const replacements: MillraceChild[] = [];
    await runWithFault(services.env, async () => {
      for (const old of deployment.workers) {
        assert.equal(await stopChild(old), 0, old.stderr());
        const fresh = spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1'], services.env);
        children.push(fresh);
        replacements.push(fresh);
        await fresh.waitFor('worker ready');
      }
    });
    await shutDown({ server: deployment.server, workers: replacements });
  });

  it('RabbitMQ gone for 3 s mid-run (every connection cut, new ones refused): all processes reconnect, 0 lost', async () => {
    const proxy = await startBrokerProxy();
    try {
      const env = services.withQueueUrl(proxy.url);
      const deployment = await deploy(env);
      await runWithFault(env, async () => {
        proxy.refuse();
        proxy.cut();
        await sleep(3000);
        proxy.resume();
      });
      await shutDown(deployment);
      for (const child of [deployment.server, ...deployment.workers]) assert.match(child.stderr(), /reconnect/i, 'each process noticed the outage and reconnected');
    } finally {
      await proxy.close();
    }
  });

  it('every PostgreSQL connection of the deployment terminated mid-run: retried, 0 lost', async () => {
    const deployment = await deploy(services.env);
    await runWithFault(services.env, async () => {
      const killed = await adminQuery<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE $1 AND pg_terminate_backend(pid)`,
        [`%${services.schema}%`],
      );
      assert.ok(killed.length > 0, 'connections were terminated');
    });
    await shutDown(deployment);
  });
});
