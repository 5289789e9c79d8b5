/** Token authentication of the HTTP API: 401 without a valid token, 403 with too small a scope, health always open. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { SystemClock } from '../../src/core/clock.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { squares } from '../fixtures/processes.js';

/** Every route with a request that would succeed given the right token. */
const ROUTES: Array<{ method: 'GET' | 'POST'; url: string; payload?: unknown; scope: 'read' | 'operate' }> = [
  { method: 'GET', url: '/api/processes', scope: 'read' },
  { method: 'GET', url: '/api/processes/auth-p', scope: 'read' },
  { method: 'GET', url: '/api/processes/auth-p/history', scope: 'read' },
  { method: 'GET', url: '/api/processes/auth-p/tasks', scope: 'read' },
  { method: 'GET', url: '/api/queues/tasks', scope: 'read' },
  { method: 'GET', url: '/metrics', scope: 'read' },
  { method: 'GET', url: '/api/openapi.json', scope: 'read' },
  { method: 'POST', url: '/api/processes', payload: { definition: 'squares', input: { n: 1 } }, scope: 'operate' },
  { method: 'POST', url: '/api/processes/auth-p/cancel', payload: {}, scope: 'operate' },
];

describe('server API: tokens', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;
  let tokens: TokenRegistry;
  const issued: Record<'read' | 'operate' | 'admin' | 'revoked', string> = { read: '', operate: '', admin: '', revoked: '' };

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    millrace.orchestrator.register(squares);
    await millrace.orchestrator.startProcess('squares', { n: 1 }, { processId: 'auth-p' });
    tokens = new TokenRegistry({ events: millrace.events, clock: new SystemClock() });
    for (const scope of ['read', 'operate', 'admin'] as const) issued[scope] = (await tokens.create(scope, scope)).token;
    const revoked = await tokens.create('gone', 'admin');
    await tokens.revoke(revoked.info.id);
    issued.revoked = revoked.token;
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, tokens });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  const call = (route: (typeof ROUTES)[number], token?: string) =>
    app.inject({ method: route.method, url: route.url, payload: route.payload as object | undefined, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('refuses every route without a token, or with an unknown or revoked one: 401', async () => {
    for (const route of ROUTES) {
      for (const token of [undefined, 'mr_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'not-a-token', issued.revoked]) {
        const response = await call(route, token);
        assert.equal(response.statusCode, 401, `${route.method} ${route.url} with ${token ?? 'no token'}`);
        assert.equal(response.json().error.code, 'UNAUTHENTICATED');
        assert.match(String(response.headers['www-authenticate']), /^Bearer/);
      }
    }
    assert.equal((await app.inject('/api/nothing-here')).statusCode, 401, 'unknown routes are not revealed either');
  });

  it('refuses a token whose scope is too small: 403 naming the scope needed', async () => {
    for (const route of ROUTES.filter((r) => r.scope === 'operate')) {
      const response = await call(route, issued.read);
      assert.equal(response.statusCode, 403);
      assert.match(response.json().error.message, /needs a token with scope "operate"; this one has "read"/);
    }
  });

  it('lets a sufficient scope through, and a larger one too', async () => {
    for (const route of ROUTES) {
      for (const token of route.scope === 'read' ? [issued.read, issued.operate, issued.admin] : [issued.operate, issued.admin]) {
        const response = await call(route, token);
        assert.ok(response.statusCode < 400, `${route.method} ${route.url}: ${response.statusCode} ${response.body}`);
      }
    }
  });

  it('checks input after the token: 400 naming the field, 413 for a body over the limit', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', version: 'two' }, headers: { authorization: `Bearer ${issued.operate}` } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /body\.version/);
    const big = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', input: 'x'.repeat(2 * 1024 * 1024) }, headers: { authorization: `Bearer ${issued.operate}` } });
    assert.equal(big.statusCode, 413);
  });

  it('limits requests per token: 429 with a Retry-After, other tokens unaffected', async () => {
    const limited = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, tokens, rateLimitPerMinute: 3 });
    try {
      const get = (token: string) => limited.inject({ url: '/api/processes', headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 3; i++) assert.equal((await get(issued.read)).statusCode, 200);
      const refused = await get(issued.read);
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.json().error.code, 'RATE_LIMITED');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await get(issued.operate)).statusCode, 200, 'another token has its own budget');
      assert.equal((await limited.inject('/api/health')).statusCode, 200);
    } finally {
      await limited.close();
    }
  });

  it('keeps health and readiness open', async () => {
    assert.equal((await app.inject('/api/health')).statusCode, 200);
    assert.equal((await app.inject('/api/ready')).statusCode, 200);
  });
});
