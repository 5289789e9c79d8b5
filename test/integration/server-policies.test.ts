/**
 * Access policies on process definitions and datasets: an owner sees what
 * is theirs, another token gets the 404 a missing resource gets and never
 * sees it in lists or live updates, a group member may read, a read-only
 * member cannot cancel, an admin sees everything.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { SystemClock } from '../../src/core/clock.js';
import { generateDataset } from '../../src/queries/generate/generate-dataset.js';
import { registerDatasetRoutes } from '../../src/queries/http/dataset-routes.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { startQueries, type QuerySystem } from '../../src/runtime/query-system.js';
import { PolicyRegistry } from '../../src/server/auth/policy-registry.js';
import { ResourceAccess } from '../../src/server/auth/resource-access.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { createServer } from '../../src/server/create-server.js';
import { conditional, squares } from '../fixtures/processes.js';
import { sse } from '../helpers/sse.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);
type Who = 'alice' | 'bob' | 'auditor' | 'member' | 'admin';

describe('server API: access policies', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let queries: QuerySystem;
  let app: FastifyInstance;
  let base: string;
  let policies: PolicyRegistry;
  const issued = {} as Record<Who, string>;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    millrace.orchestrator.register(squares).register(conditional);
    await millrace.startWorker({ tasks });
    await millrace.startOrchestrator();
    for (const name of ['private-runs', 'open-runs']) {
      await generateDataset({ blobs: millrace.blobs, name, files: 1, scans: 40, bins: 100, tileRows: 16, tileCols: 64, seed: 1 });
    }
    queries = await startQueries(millrace, { threads: 1 });
    const clock = new SystemClock();
    const tokens = new TokenRegistry({ events: millrace.events, clock });
    const alice = await tokens.create('alice', 'operate');
    issued.alice = alice.token;
    issued.bob = (await tokens.create('bob', 'operate')).token;
    issued.auditor = (await tokens.create('auditor', 'read', ['auditors'])).token;
    issued.member = (await tokens.create('member', 'operate', ['auditors'])).token;
    issued.admin = (await tokens.create('admin', 'admin')).token;
    policies = new PolicyRegistry({ events: millrace.events, clock, refreshMs: 0 });
    await policies.set({ resource: 'process:conditional', owner: `token:${alice.info.id}`, readers: ['group:auditors'], operators: [] });
    await policies.set({ resource: 'dataset:private-runs', owner: `token:${alice.info.id}`, readers: ['group:auditors'], operators: [] });
    const access = new ResourceAccess(policies);
    app = await createServer({
      orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, events: millrace.events, tokens, access,
      plugins: [(server) => registerDatasetRoutes(server, queries.service, { visible: (request, name) => access.check(request.token, `dataset:${name}`, 'read') })],
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await queries.close();
    await millrace.close();
    dir.remove();
  });

  const call = (who: Who, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${issued[who]}` } });
  const start = async (who: Who, definition: string, processId: string, input: object) => {
    const response = await call(who, 'POST', '/api/processes', { definition, input, processId });
    assert.equal(response.statusCode, 201, response.body);
    await millrace.orchestrator.wait(processId);
  };
  const listed = async (who: Who): Promise<string[]> => ((await call(who, 'GET', '/api/processes')).json() as { processes: Array<{ processId: string }> }).processes.map((p) => p.processId);

  it('lets the owner start and see their process, and hides it from another token exactly as a missing one', async () => {
    await start('alice', 'conditional', 'alice-1', { describe: true });
    await start('bob', 'squares', 'bob-1', { n: 2 });
    assert.equal((await call('alice', 'GET', '/api/processes/alice-1')).json().status, 'completed');
    assert.equal((await call('alice', 'GET', '/api/processes/alice-1/history')).statusCode, 200);
    const paths = [['GET', ''], ['GET', '/history'], ['GET', '/tasks'], ['POST', '/cancel'], ['POST', '/tasks/{id}%2Fmaybe%2F0/retry']] as const;
    for (const [method, path] of paths) {
      const hidden = await call('bob', method, `/api/processes/alice-1${path.replace('{id}', 'alice-1')}`, method === 'POST' ? {} : undefined);
      const missing = await call('bob', method, `/api/processes/nobody-1${path.replace('{id}', 'nobody-1')}`, method === 'POST' ? {} : undefined);
      assert.equal(hidden.statusCode, 404, `${method} ${path}`);
      assert.deepEqual(hidden.json(), JSON.parse(missing.body.replace('nobody-1', 'alice-1')), `${method} ${path}: the same answer as a missing process`);
    }
    const refused = await call('bob', 'POST', '/api/processes', { definition: 'conditional', input: { describe: false } });
    assert.equal(refused.statusCode, 404, 'bob may not start alice\'s definition');
    assert.equal(refused.json().error.code, 'PROCESS_DEFINITION_UNKNOWN');
    assert.doesNotMatch(refused.json().error.message, /registered: .*conditional/, 'the hidden definition is not listed');
    assert.deepEqual((await listed('bob')).sort(), ['bob-1']);
    assert.deepEqual((await listed('alice')).sort(), ['alice-1', 'bob-1'], 'a process without a policy is open to every token');
    assert.deepEqual((await listed('admin')).sort(), ['alice-1', 'bob-1']);
    assert.equal((await call('admin', 'GET', '/api/processes/alice-1')).statusCode, 200, 'admin tokens see everything');
  });

  it('lets a group member read but not cancel when the group is only a reader', async () => {
    assert.equal((await call('auditor', 'GET', '/api/processes/alice-1')).statusCode, 200);
    assert.ok((await listed('member')).includes('alice-1'));
    assert.equal((await call('member', 'GET', '/api/processes/alice-1/history')).statusCode, 200);
    assert.equal((await call('member', 'GET', '/api/processes/alice-1/tasks')).statusCode, 200);
    const cancel = await call('member', 'POST', '/api/processes/alice-1/cancel', {});
    assert.equal(cancel.statusCode, 404, 'an operate-scope token that may only read the process');
    assert.equal((await call('alice', 'POST', '/api/processes/alice-1/cancel', {})).statusCode, 200, 'the owner may (it had finished: nothing to cancel)');
  });

  it('hides a dataset from another token: missing from the list, 404 on the dataset and its heatmap', async () => {
    const names = async (who: Who): Promise<string[]> => ((await call(who, 'GET', '/api/datasets')).json() as { datasets: Array<{ name: string }> }).datasets.map((d) => d.name).sort();
    assert.deepEqual(await names('alice'), ['open-runs', 'private-runs']);
    assert.deepEqual(await names('bob'), ['open-runs']);
    assert.deepEqual(await names('auditor'), ['open-runs', 'private-runs']);
    const heatmap = (name: string) => `/api/datasets/${name}/heatmap.png?group=all&width=32&height=16`;
    assert.equal((await call('alice', 'GET', heatmap('private-runs'))).statusCode, 200);
    assert.equal((await call('auditor', 'GET', heatmap('private-runs'))).statusCode, 200);
    for (const path of ['', '/heatmap.png?group=all&width=32&height=16']) {
      const hidden = await call('bob', 'GET', `/api/datasets/private-runs${path}`);
      const missing = await call('bob', 'GET', `/api/datasets/no-runs${path}`);
      assert.equal(hidden.statusCode, 404, path);
      assert.deepEqual(hidden.json(), JSON.parse(missing.body.replace('no-runs', 'private-runs')));
    }
    assert.equal((await call('bob', 'GET', heatmap('open-runs'))).statusCode, 200);
  });

  it('sends live updates of a hidden process only to those who may read it', async () => {
    const follow = async (who: Who) => {
      const response = await fetch(`${base}/api/live`, { headers: { authorization: `Bearer ${issued[who]}` } });
      assert.equal(response.status, 200);
      const stream = sse(response);
      await stream.next((e) => e.event === 'hello');
      return stream;
    };
    const bob = await follow('bob');
    const auditor = await follow('auditor');
    try {
      await start('alice', 'conditional', 'alice-live', { describe: false });
      await start('bob', 'squares', 'bob-live', { n: 1 });
      const idOf = (e: { event: string; data: unknown }): string | undefined => (e.event === 'process' ? (e.data as { view: { processId: string } }).view.processId : undefined);
      const seen: string[] = [];
      await bob.next((e) => {
        const id = idOf(e);
        if (id !== undefined) seen.push(id);
        return id === 'bob-live' && (e.data as { view: { status: string } }).view.status === 'completed';
      });
      assert.ok(!seen.includes('alice-live'), `bob saw ${seen.join(', ')}`);
      assert.equal(idOf(await auditor.next((e) => idOf(e) === 'alice-live')), 'alice-live');
    } finally {
      bob.close();
      auditor.close();
    }
  });

  it('refuses a malformed policy naming the field', async () => {
    await assert.rejects(policies.set({ resource: 'table:x', owner: 'group:a', readers: [], operators: [] }), /resource "table:x" must read dataset:<name> or process:<definition name>/);
    await assert.rejects(policies.set({ resource: 'dataset:x', owner: 'alice', readers: [], operators: [] }), /owner: "alice" must read token:<id>/);
  });
});
