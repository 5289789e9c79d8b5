/** Live updates over SSE (/api/live), how a browser gets in (one-use tickets), the session route, and the dashboard's static files. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { SystemClock } from '../../src/core/clock.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { hanging, squares } from '../fixtures/processes.js';
import { sse } from '../helpers/sse.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

describe('server: live updates without auth', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 2, logLevel: 'silent' });
    millrace.orchestrator.register(squares).register(hanging);
    await millrace.startWorker({ tasks });
    await millrace.startOrchestrator();
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, events: millrace.events });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  it('streams a process from start to completed, and queue depth', async () => {
    const response = await fetch(`${base}/api/live`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const stream = sse(response);
    try {
      await stream.next((e) => e.event === 'hello');
      const started = await fetch(`${base}/api/processes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ definition: 'squares', input: { n: 5 }, processId: 'live-1' }) });
      assert.equal(started.status, 201);
      const first = await stream.next((e) => e.event === 'process');
      assert.equal((first.data as { view: { processId: string } }).view.processId, 'live-1');
      const done = await stream.next((e) => e.event === 'process' && (e.data as { view: { status: string } }).view.status === 'completed');
      const view = (done.data as { view: { steps: Array<{ name: string; status: string; after: string[] }> } }).view;
      assert.deepEqual(view.steps.map((s) => [s.name, s.status, s.after]), [['numbers', 'completed', []], ['squared', 'completed', ['numbers']], ['total', 'completed', ['numbers', 'squared']]]);
      const queues = await stream.next((e) => e.event === 'queues');
      assert.deepEqual((queues.data as { queues: Array<{ name: string }> }).queues.map((q) => q.name), ['tasks', 'millrace.results']);
    } finally {
      stream.close();
    }
  });

  it('says there is no auth on /api/session, and serves the dashboard with a strict CSP on its own paths only', async () => {
    assert.deepEqual((await app.inject('/api/session')).json(), { auth: false, scope: 'admin' });
    const dist = dir.file('dist');
    mkdirSync(`${dist}/assets`, { recursive: true });
    writeFileSync(`${dist}/index.html`, '<!doctype html><title>t</title>');
    writeFileSync(`${dist}/assets/app-abc.js`, 'console.log(1)');
    writeFileSync(`${dist}/favicon.svg`, '<svg/>');
    const web = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, dashboard: { root: dist } });
    try {
      for (const path of ['/', '/processes', '/processes/p-1', '/queues', '/datasets/x/y']) {
        const page = await web.inject(path);
        assert.equal(page.statusCode, 200, path);
        assert.match(page.body, /<title>t<\/title>/);
        assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
        assert.equal(page.headers['cache-control'], 'no-cache');
      }
      const asset = await web.inject('/assets/app-abc.js');
      assert.equal(asset.statusCode, 200);
      assert.match(String(asset.headers['cache-control']), /immutable/);
      assert.equal((await web.inject('/favicon.svg')).statusCode, 200);
      assert.equal((await web.inject('/assets/../index.html')).statusCode, 404);
      assert.equal((await web.inject('/api/nothing')).json().error.code, 'NOT_FOUND');
      assert.equal((await web.inject('/elsewhere')).statusCode, 404);
      const live = await web.inject('/api/live');
      assert.equal(live.statusCode, 503, 'no event store given: no live updates');
    } finally {
      await web.close();
    }
    const unbuilt = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, dashboard: { root: dir.file('none') } });
    try {
      const page = await unbuilt.inject('/');
      assert.equal(page.statusCode, 503);
      assert.match(page.body, /npm run build/);
    } finally {
      await unbuilt.close();
    }
  });
});

describe('server: live updates with tokens', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;
  let base: string;
  let tokens: TokenRegistry;
  const issued: Record<'read' | 'operate', string> = { read: '', operate: '' };

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    millrace.orchestrator.register(squares);
    await millrace.startOrchestrator();
    tokens = new TokenRegistry({ events: millrace.events, clock: new SystemClock(), refreshMs: 0 });
    issued.read = (await tokens.create('viewer', 'read')).token;
    issued.operate = (await tokens.create('ops', 'operate')).token;
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, events: millrace.events, tokens });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  const ticket = async (token?: string): Promise<Response> => fetch(`${base}/api/live/tickets`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('tells a token its scope on /api/session, and refuses none', async () => {
    const session = await app.inject({ url: '/api/session', headers: { authorization: `Bearer ${issued.read}` } });
    assert.deepEqual(session.json(), { auth: true, scope: 'read', name: 'viewer' });
    assert.equal((await app.inject('/api/session')).statusCode, 401);
  });

  it('lets a browser in with a one-use ticket; no ticket, a used or a made-up one is 401', async () => {
    assert.equal((await ticket()).status, 401);
    assert.equal((await fetch(`${base}/api/live`)).status, 401);
    assert.equal((await fetch(`${base}/api/live?ticket=${'a'.repeat(32)}`)).status, 401);
    const issuedTicket = await ticket(issued.read);
    assert.equal(issuedTicket.status, 201);
    const { ticket: value, expiresInMs } = (await issuedTicket.json()) as { ticket: string; expiresInMs: number };
    assert.ok(expiresInMs <= 30_000);
    const response = await fetch(`${base}/api/live?ticket=${value}`);
    assert.equal(response.status, 200);
    const stream = sse(response);
    try {
      await stream.next((e) => e.event === 'hello');
      const again = await fetch(`${base}/api/live?ticket=${value}`);
      assert.equal(again.status, 401, 'a ticket is spent by its first connection');
      assert.match(((await again.json()) as { error: { message: string } }).error.message, /unknown, used or expired/);
    } finally {
      stream.close();
    }
  });

  it('accepts a bearer header from programs that can send one', async () => {
    const response = await fetch(`${base}/api/live`, { headers: { authorization: `Bearer ${issued.operate}` } });
    assert.equal(response.status, 200);
    const stream = sse(response);
    await stream.next((e) => e.event === 'hello');
    stream.close();
  });

  it('ends a live connection once its token is revoked', async () => {
    const doomed = await tokens.create('doomed', 'read');
    const { ticket: value } = (await (await ticket(doomed.token)).json()) as { ticket: string };
    const response = await fetch(`${base}/api/live?ticket=${value}`);
    const stream = sse(response);
    await stream.next((e) => e.event === 'hello');
    await tokens.revoke(doomed.info.id);
    await stream.end(); // within revocationCheckMs (5 s)
  });
});
