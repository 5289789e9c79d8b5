/**
 * `GET /api/workers`: workers report themselves by heartbeat on the Log,
 * so a server lists its own worker threads and, in a cluster, every
 * `millrace worker` process with its tags.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createServer } from '../../src/server/create-server.js';
import { spawnMillrace, startClusterServices, stopChild, type ClusterServices, type MillraceChild } from '../helpers/cluster.js';
import { requireService } from '../helpers/services.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasks = new URL('../fixtures/tasks.ts', import.meta.url);

interface ListedWorker { id: string; pid: number; tags: string[]; kinds: string[]; queues: string[]; threads: number; state: string; done: number; waiting?: number }

describe('workers API (embedded)', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, log: millrace.log, logger: millrace.logger, dashboard: false });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  it('lists a running worker with its tags, kinds of work and counts, then as stopped', async () => {
    const worker = await millrace.startWorker({ tasks, tags: ['v2'], untagged: true, threads: 1, concurrency: 4, heartbeatMs: 100 });
    await millrace.runTasks('echo', [1, 2, 3]);
    const listed = await until(async () => {
      const { workers } = (await app.inject('/api/workers')).json() as { workers: ListedWorker[] };
      return workers.find((w) => w.done === 3);
    });
    assert.equal(listed.pid, process.pid);
    assert.deepEqual(listed.tags, ['v2']);
    assert.deepEqual(listed.queues, ['tasks.tag.v2', 'tasks']);
    assert.ok(listed.kinds.includes('echo'), `kinds: ${listed.kinds.join(', ')}`);
    assert.equal(listed.waiting, 0, 'no task waits in-process once it is idle');
    assert.equal(listed.state, 'up');
    await worker.stop();
    const after = (await app.inject('/api/workers')).json() as { workers: ListedWorker[] };
    assert.equal(after.workers.find((w) => w.id === listed.id)?.state, 'stopped');
  });

  it('documents the route in the OpenAPI document', async () => {
    const document = (await app.inject('/api/openapi.json')).json() as { paths: Record<string, { get?: unknown }> };
    assert.ok(document.paths['/api/workers']?.get !== undefined);
  });
});

const skip = (await requireService('postgres')) || (await requireService('rabbitmq'));

describe('workers API (cluster)', { skip }, () => {
  let dir: TempDir;
  let services: ClusterServices;
  const children: MillraceChild[] = [];

  before(async () => {
    dir = createTempDir('millrace-workers-');
    services = await startClusterServices();
  });
  after(async () => {
    for (const child of children) await stopChild(child, 'SIGKILL');
    await services?.stop();
    dir?.remove();
  });

  it('shows a `millrace worker` process with its tags, and as stopped once it drains', async () => {
    const env = { ...services.env, MILLRACE_DATA_DIR: dir.file('unused-state') };
    const server = spawnMillrace(['server', '--port', '0', '--no-queries'], env);
    const worker = spawnMillrace(['worker', '--tasks', 'test/fixtures/tasks.ts', '--threads', '1', '--tags', 'canary,v3'], env);
    children.push(server, worker);
    await server.waitFor('listening on');
    await worker.waitFor('worker ready');
    const base = /listening on (http:\/\/\S+)/.exec(server.stdout())![1]!;
    const listed = await until(async () => {
      const { workers } = (await (await fetch(`${base}/api/workers`)).json()) as { workers: ListedWorker[] };
      return workers.find((w) => w.pid === worker.process.pid);
    });
    assert.deepEqual(listed.tags, ['canary', 'v3']);
    assert.equal(listed.state, 'up');
    assert.equal(listed.threads, 1);
    assert.equal(await stopChild(worker), 0, worker.stderr());
    const { workers } = (await (await fetch(`${base}/api/workers`)).json()) as { workers: ListedWorker[] };
    assert.equal(workers.find((w) => w.id === listed.id)?.state, 'stopped');
    assert.equal(await stopChild(server), 0, server.stderr());
  });
});

async function until<T>(look: () => Promise<T | undefined>): Promise<T> {
  for (const started = Date.now(); Date.now() - started < 30_000; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const found = await look();
    if (found !== undefined) return found;
  }
  throw new Error('timed out');
}
