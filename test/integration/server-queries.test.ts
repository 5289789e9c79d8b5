/** Queries through the engine's server: dataset routes mounted, strips answered by query threads, tokens checked. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { SystemClock } from '../../src/core/clock.js';
import { generateDataset } from '../../src/queries/generate/generate-dataset.js';
import { registerDatasetRoutes } from '../../src/queries/http/dataset-routes.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { startQueries, type QuerySystem } from '../../src/runtime/query-system.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

describe('server: dataset queries', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let queries: QuerySystem;
  let app: FastifyInstance;
  let token: string;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, logLevel: 'silent' });
    await generateDataset({ blobs: millrace.blobs, name: 'runs', files: 2, scans: 120, bins: 600, tileRows: 16, tileCols: 64, seed: 3 });
    queries = await startQueries(millrace, { threads: 1 });
    const tokens = new TokenRegistry({ events: millrace.events, clock: new SystemClock() });
    token = (await tokens.create('viewer', 'read')).token;
    app = await createServer({
      orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, tokens,
      plugins: [(server, { metrics }) => registerDatasetRoutes(server, queries.service, { metrics })],
    });
  });
  after(async () => {
    await app.close();
    await queries.close();
    await millrace.close();
    dir.remove();
  });

  it('renders a heatmap PNG on the query threads, for a token with read scope only', async () => {
    const url = '/api/datasets/runs/heatmap.png?group=all&width=128&height=64';
    assert.equal((await app.inject(url)).statusCode, 401);
    const response = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['content-type'], 'image/png');
    assert.deepEqual([...response.rawPayload.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.ok(queries.worker!.stats().succeeded > 0, 'strips were answered by the query threads');
    const listed = (await app.inject({ url: '/api/datasets', headers: { authorization: `Bearer ${token}` } })).json();
    assert.ok(JSON.stringify(listed).includes('runs'));
  });

  it('reports query durations by route and cache result, and the cache\'s counters, on /metrics', async () => {
    const url = '/api/datasets/runs/heatmap.png?group=all&width=96&height=48';
    for (let i = 0; i < 2; i++) assert.equal((await app.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
    const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    assert.equal(scraped.statusCode, 200, scraped.body);
    const value = (series: string): number => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(scraped.body)?.[1] ?? NaN);
    assert.ok(value('millrace_query_duration_seconds_count{route="heatmap.png",cache="miss"}') >= 1, 'the first ask computed');
    assert.ok(value('millrace_query_duration_seconds_count{route="heatmap.png",cache="hit"}') >= 1, 'the second was a cache hit');
    assert.ok(value('millrace_query_cache_lookups{result="hit"}') >= 1);
    assert.ok(value('millrace_query_cache_bytes') > 0);
  });

  it('names a bad parameter with 400', async () => {
    const response = await app.inject({ url: '/api/datasets/runs/heatmap.png?group=all&width=0&height=64', headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /width/);
  });
});
