/**
 * A cluster page-hits run that a fault test breaks mid-way: one
 * `millrace server` and two `millrace worker` processes on RabbitMQ +
 * PostgreSQL + S3; the output must equal the fault-free embedded run's CSV
 * byte for byte, and the history must confirm every task exactly once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateLogs } from '../../../examples/page-hits/index.js';
import { spawnMillrace, startClusterServices, stopChild, type ClusterServices, type MillraceChild } from '../../helpers/cluster.js';
import { adminQuery } from '../../helpers/postgres.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const SPLIT = JSON.stringify({ splitBytes: 128 * 1024 });

export interface Deployment {
  server: MillraceChild;
  workers: MillraceChild[];
}

export interface ClusterFaultHarness {
  readonly services: ClusterServices;
  /** Children the harness kills at the end; add the ones a test starts. */
  readonly children: MillraceChild[];
  deploy(env: Record<string, string>): Promise<Deployment>;
  /** Submits page-hits, waits for 3 task completions, runs `fault`, then checks the outcome. */
  runWithFault(env: Record<string, string>, fault: () => Promise<void>): Promise<void>;
  shutDown(deployment: Deployment): Promise<void>;
  close(): Promise<void>;
}

export async function startClusterFaultHarness(name: string): Promise<ClusterFaultHarness> {
  const dir: TempDir = createTempDir(`millrace-${name}-`);
  await generateLogs(dir.file('access.log'), 3_000_000, 9);
  const services = await startClusterServices();
  const children: MillraceChild[] = [];
  const embedded = spawnMillrace(['run', 'examples/page-hits', '--input', dir.file('access.log'), '--input-json', SPLIT, '--out', dir.file('reference'), '--quiet', '--data-dir', dir.file('embedded')], {});
  children.push(embedded);
  assert.equal(await embedded.exited, 0, embedded.stderr());
  const reference = readFileSync(dir.file('reference/page-hits.csv'));
  let runs = 0;

  const processIdOf = async (client: MillraceChild): Promise<string> => {
    for (let waited = 0; waited < 60_000; waited += 50) {
      const match = /process (\S+) \(page-hits v1\) started/.exec(client.stderr());
      if (match !== null) return match[1]!;
      if (client.process.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`the run did not start a process: ${client.stderr()}`);
  };

  const untilCompletions = async (processId: string, count: number): Promise<void> => {
    for (let waited = 0; waited < 60_000; waited += 20) {
      const [row] = await adminQuery<{ n: string }>(`SELECT count(*) AS n FROM "${services.schema}".events WHERE stream_id = $1 AND type = 'TaskCompleted'`, [`process-${processId}`]);
      if (Number(row!.n) >= count) return;
      await sleep(20);
    }
    throw new Error(`process ${processId} did not complete ${count} tasks in time`);
  };

  return {
    services,
    children,
    deploy: async (env) => {
      const server = spawnMillrace(['server', 'examples/page-hits', '--port', '0'], env);
      // One thread each, 16 tasks in hand each: a killed worker surely holds unacknowledged tasks.
      const workers = [0, 1].map(() => spawnMillrace(['worker', '--tasks', 'examples/page-hits', '--threads', '1', '--concurrency', '16'], env));
      children.push(server, ...workers);
      await server.waitFor('listening on');
      await Promise.all(workers.map((worker) => worker.waitFor('worker ready')));
      return { server, workers };
    },
    runWithFault: async (env, fault) => {
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
    },
    shutDown: async (deployment) => {
      for (const worker of deployment.workers) await stopChild(worker);
      await stopChild(deployment.server);
    },
    close: async () => {
      for (const child of children) await stopChild(child, 'SIGKILL');
      await services.stop();
      dir.remove();
    },
  };
}
