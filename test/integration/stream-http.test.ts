/** The streams HTTP plugin through `app.inject`: ingest, status, dials, tables, and the scope each route needs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { ManualClock, SystemClock } from '../../src/core/clock.js';
import { requireTokens } from '../../src/server/auth/require-token.js';
import { TokenRegistry } from '../../src/server/auth/token-registry.js';
import { count } from '../../src/streams/aggregates/numeric-aggregates.js';
import { registerStreamRoutes } from '../../src/streams/http/stream-routes.js';
import { startMicroBatch } from '../../src/streams/runtime/micro-batch.js';
import { stream } from '../../src/streams/runtime/pipeline.js';
import { startPipeline } from '../../src/streams/runtime/run-pipeline.js';
import { tableSink } from '../../src/streams/runtime/sinks.js';
import type { PipelineStatus } from '../../src/streams/runtime/stream-status.js';
import { eventTime } from '../../src/streams/time/time-assigner.js';
import { tumbling } from '../../src/streams/windows/window-spec.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { openTestStore, readAll, type TestStore } from '../unit/streams/runtime/support.js';

interface Click { user: string; at: number }

const perUser = stream<Click>('per-user', { topic: 'clicks' })
  .keyBy((click) => click.user, { time: eventTime<Click>('at'), partitions: 2 })
  .window(tumbling({ size: 1_000 }))
  .aggregate(count)
  .to(tableSink('user-counts'));

describe('streams HTTP API', () => {
  let t: TestStore;
  let app: FastifyInstance;
  const metrics = new Registry();
  const clock = new ManualClock(1_000_000);

  before(async () => {
    t = openTestStore();
    await t.log.createTopic('clicks', { partitions: 2 });
    await t.log.createTopic('orders', { partitions: 1 });
    // As `createServer` sets it up: unknown fields are errors, not stripped.
    app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });
    await registerStreamRoutes(app, {
      log: t.log, checkpoints: t.checkpoints, clock, pipelines: [perUser],
      microBatches: [{ name: 'orders-batch', source: 'orders', dials: { maxMessages: 200 } }],
      tables: [{ name: 'user-counts', topic: 'user-counts' }],
      bodyLimitBytes: 64 * 1024, maxEvents: 500, metrics,
    });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await t.close();
  });

  it('ingests a JSON array or NDJSON into a topic, keyed by a field, answering 202 with the positions', async () => {
    const clicks = Array.from({ length: 40 }, (_, i) => ({ user: `u${i % 4}`, at: 100 * i }));
    const json = await app.inject({ method: 'POST', url: '/api/streams/clicks/events?key=user', payload: clicks.slice(0, 30) });
    assert.equal(json.statusCode, 202, json.body);
    const body = json.json() as { topic: string; accepted: number; positions: Array<{ partition: number; offset: number }> };
    assert.deepEqual([body.topic, body.accepted, body.positions.length], ['clicks', 30, 30]);
    const ndjson = clicks.slice(30).map((click) => JSON.stringify(click)).join('\n');
    const lines = await app.inject({ method: 'POST', url: '/api/streams/clicks/events?key=user', payload: `${ndjson}\n\n`, headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(lines.statusCode, 202, lines.body);
    assert.equal(lines.json().accepted, 10);
    const records = await readAll(t.log, 'clicks');
    assert.equal(records.length, 40);
    // Keyed: every record of a user in one partition, in the order sent.
    for (const user of ['u0', 'u1', 'u2', 'u3']) {
      const mine = records.filter((r) => r.key === user);
      assert.equal(new Set(mine.map((r) => r.partition)).size, 1);
      assert.deepEqual(mine.map((r) => (r.value as Click).at), clicks.filter((c) => c.user === user).map((c) => c.at));
    }
  });

  it('refuses bad input with a status and a message that names the problem, appending nothing', async () => {
    const before = (await t.log.topicInfo('clicks')).endOffsets;
    const post = (url: string, payload: string | object, contentType = 'application/json') => app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });
    const cases: Array<[Awaited<ReturnType<typeof post>>, number, RegExp]> = [
      [await post('/api/streams/clicks/events', '{"user":"u1"}\nnot json', 'application/x-ndjson'), 400, /line 2: invalid JSON/],
      [await post('/api/streams/clicks/events', { user: 'u1' }), 400, /must be a JSON array of events/],
      [await post('/api/streams/clicks/events', []), 400, /no events/],
      [await post('/api/streams/clicks/events?key=user', [{ user: 'u1' }, { at: 5 }]), 400, /event 1: no string or number field "user"/],
      [await post('/api/streams/clicks/events?colour=red', [{}]), 400, /querystring/],
      [await post('/api/streams/nowhere/events', [{}]), 404, /nowhere/],
      [await post('/api/streams/per-user.keyed/events', [{}]), 400, /not open to ingest/],
      [await post('/api/streams/clicks/events', Array.from({ length: 501 }, () => ({}))), 413, /more than 500 events/],
      [await post('/api/streams/clicks/events', JSON.stringify([{ pad: 'x'.repeat(70 * 1024) }])), 413, /body/i],
      [await post('/api/streams/clicks/events', 'a,b', 'text/csv'), 415, /text\/csv is not accepted/],
    ];
    for (const [response, status, message] of cases) {
      assert.equal(response.statusCode, status, response.body);
      const error = (response.json() as { error: { code: string; message: string } }).error;
      assert.match(error.message, message);
      assert.ok(!/\n\s+at /.test(response.body), 'no stack trace');
    }
    assert.deepEqual((await t.log.topicInfo('clicks')).endOffsets, before);
  });

  it('reports a pipeline\'s lag per partition before and after a run, its watermarks, late events, dead letters and throughput', async () => {
    await app.inject({ method: 'POST', url: '/api/streams/clicks/events', payload: [{ user: 'u9', at: 50 }, { at: 7 }] }); // late (u9 at 50 ms, after 3.9 s), no key
    const waiting = (await app.inject('/api/streams/per-user')).json() as PipelineStatus;
    assert.equal(waiting.lag, 42);
    assert.match(await metrics.metrics(), /^millrace_stream_lag_records\{stream="per-user",kind="pipeline"\} 42$/m, 'the lag is on /metrics too');
    assert.deepEqual(waiting.source.partitions.map((p) => p.position), [0, 0]);
    assert.equal(waiting.recordsPerSecond, null, 'one look: no rate yet');

    // Small batches, so watermarks pass 1 s before u9's click at 50 ms (sent last) is read.
    await (await startPipeline(perUser, { store: t.store, batchSize: 5, ranges: (await t.log.topicInfo('clicks')).endOffsets.map((to) => ({ from: 0, to })) })).done;
    await clock.advance(2_000);
    const status = (await app.inject('/api/streams/per-user')).json() as PipelineStatus;
    assert.equal(status.lag, 0);
    assert.deepEqual(status.source.partitions.map((p) => p.lag), [0, 0]);
    assert.ok(status.keyed.partitions.every((p) => p.lag === 0 && p.end > 0));
    assert.equal(status.records, 42);
    assert.equal(status.recordsPerSecond, 21, '42 records between two looks 2 s apart');
    assert.equal(status.deadLetters, 1);
    assert.equal(status.topics.deadLetters, 1);
    assert.equal(status.late, 1);
    assert.equal(status.topics.late, 1);
    const scraped = await metrics.metrics();
    for (const series of ['millrace_stream_lag_records{stream="per-user",kind="pipeline"} 0', 'millrace_stream_late_events{stream="per-user"} 1', 'millrace_stream_dead_letters{stream="per-user",kind="pipeline"} 1', 'millrace_stream_lag_records{stream="orders-batch",kind="micro-batch"} 0']) {
      assert.ok(scraped.split('\n').includes(series), `/metrics has ${series}`);
    }
    assert.ok(status.watermarks.every((w) => w.ended && typeof w.watermark === 'number'));
    assert.ok(status.windows.every((w) => w.ended));
    assert.equal(status.windows.reduce((n, w) => n + w.accepted, 0), 40);

    const list = (await app.inject('/api/streams')).json() as { streams: Array<{ name: string; kind: string; lag: number }> };
    assert.deepEqual(list.streams.map((s) => [s.name, s.kind, s.lag]), [['per-user', 'pipeline', 0], ['orders-batch', 'micro-batch', 0]]);
    const unknown = await app.inject('/api/streams/nope');
    assert.deepEqual([unknown.statusCode, unknown.json().error.code], [404, 'NOT_FOUND']);
  });

  it('reads a materialised table by key and scans it by prefix, in pages', async () => {
    // Clicks i = 0…39 at 100·i ms by user u(i mod 4); the table holds each user's latest window: u2's [3 s, 4 s) has i = 30, 34, 38.
    const row = await app.inject('/api/tables/user-counts/u2');
    assert.equal(row.statusCode, 200, row.body);
    assert.deepEqual((({ key, start, value }) => ({ key, start, value }))(row.json().value), { key: 'u2', start: 3_000, value: 3 });
    assert.equal((await app.inject('/api/tables/user-counts/u7')).statusCode, 404);
    assert.equal((await app.inject('/api/tables/nope/u1')).statusCode, 404);
    const page1 = (await app.inject('/api/tables/user-counts?prefix=u&limit=3')).json() as { rows: Array<{ key: string }>; next: string | null };
    assert.deepEqual(page1.rows.map((r) => r.key), ['u0', 'u1', 'u2']);
    assert.equal(page1.next, 'u2');
    const page2 = (await app.inject(`/api/tables/user-counts?prefix=u&limit=3&after=${page1.next}`)).json() as { rows: Array<{ key: string }>; next: string | null };
    assert.deepEqual(page2.rows.map((r) => r.key), ['u3']);
    assert.equal(page2.next, null);
    assert.equal((await app.inject('/api/tables/user-counts?limit=0')).statusCode, 400);
  });

  it('gives a pipeline\'s newest window results from its topic sink, oldest first', async () => {
    const recent = (await app.inject('/api/streams/per-user/results?limit=3')).json() as { topic: string; results: Array<{ id: string; end: number }> };
    assert.equal(recent.topic, 'user-counts');
    // The three appended last (the sink topic has one partition), ordered by window end.
    const appended = (await readAll(t.log, 'user-counts')).slice(-3).map((r) => r.value as { id: string; end: number });
    assert.deepEqual(recent.results.map((r) => r.id), appended.sort((a, b) => a.end - b.end).map((r) => r.id));
    const all = (await app.inject('/api/streams/per-user/results?limit=1000')).json() as { results: Array<{ end: number; value: number }> };
    assert.equal(all.results.reduce((n, r) => n + r.value, 0), 40, 'every accepted click is counted once across the results');
    assert.deepEqual(all.results.map((r) => r.end), [...all.results.map((r) => r.end)].sort((a, b) => a - b));
    assert.equal((await app.inject('/api/streams/orders-batch/results')).statusCode, 404);
    assert.equal((await app.inject('/api/streams/per-user/results?limit=0')).statusCode, 400);
  });

  it('reads and changes a micro-batch stream\'s dials through its control topic; the running stream takes them', async () => {
    const running = await startMicroBatch({ name: 'orders-batch', store: t.store, source: { topic: 'orders' }, handler: () => undefined, dials: { maxMessages: 200 }, clock: new SystemClock() });
    try {
      assert.deepEqual((await app.inject('/api/streams/orders-batch/dials')).json(), { name: 'orders-batch', dials: { maxMessages: 200, maxWaitMs: 1000, concurrency: 1 }, changes: [] });
      const changed = await app.inject({ method: 'PATCH', url: '/api/streams/orders-batch/dials', payload: { maxMessages: 50, concurrency: 2 } });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.deepEqual(changed.json().dials, { maxMessages: 50, maxWaitMs: 1000, concurrency: 2 });
      assert.deepEqual((await readAll(t.log, 'orders-batch.dials')).map((r) => r.value), [{ maxMessages: 50, concurrency: 2, by: 'anonymous (no auth)' }]);
      while (running.dials().maxMessages !== 50) await sleep(5);
      assert.deepEqual(running.dials(), { maxMessages: 50, maxWaitMs: 1000, concurrency: 2 });
      // The audit log: one line per dial, with the value it replaced, who and when.
      const audit = (await app.inject('/api/streams/orders-batch/dials')).json() as { changes: Array<{ dial: string; from: number; to: number; by: string; at: number }> };
      assert.deepEqual(audit.changes.map(({ dial, from, to, by }) => [dial, from, to, by]), [['maxMessages', 200, 50, 'anonymous (no auth)'], ['concurrency', 1, 2, 'anonymous (no auth)']]);
      assert.ok(audit.changes.every((c) => Number.isFinite(c.at) && c.at > 0));
      const bad = await app.inject({ method: 'PATCH', url: '/api/streams/orders-batch/dials', payload: { speed: 3 } });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /body/);
      const negative = await app.inject({ method: 'PATCH', url: '/api/streams/orders-batch/dials', payload: { concurrency: 0 } });
      assert.match(negative.json().error.message, /body\.concurrency/);
      assert.equal((await app.inject({ method: 'PATCH', url: '/api/streams/orders-batch/dials', payload: {} })).statusCode, 400);
      assert.equal((await app.inject({ method: 'PATCH', url: '/api/streams/per-user/dials', payload: { concurrency: 2 } })).statusCode, 404);
    } finally {
      await running.stop();
    }
  });
});

describe('streams HTTP API behind tokens', () => {
  let dir: TempDir;
  let t: TestStore;
  let events: SqliteEventStore;
  let app: FastifyInstance;
  let tokens: { read: string; operate: string };

  before(async () => {
    dir = createTempDir('millrace-stream-http-');
    t = openTestStore();
    await t.log.createTopic('clicks', { partitions: 1 });
    events = new SqliteEventStore({ path: dir.file('events.db') });
    const registry = new TokenRegistry({ events, clock: new SystemClock() });
    tokens = { read: (await registry.create('reader', 'read')).token, operate: (await registry.create('operator', 'operate')).token };
    app = Fastify();
    requireTokens(app, registry);
    await registerStreamRoutes(app, { log: t.log, checkpoints: t.checkpoints, pipelines: [perUser], microBatches: [{ name: 'b', source: 'clicks' }], tables: [{ name: 'user-counts', topic: 'clicks' }] });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await events.close();
    await t.close();
    dir.remove();
  });

  it('reads need a read token, ingest and dial changes an operate token', async () => {
    const as = (token: string | undefined) => (token === undefined ? {} : { authorization: `Bearer ${token}` });
    const reads = ['/api/streams', '/api/streams/per-user', '/api/streams/b/dials', '/api/tables/user-counts?limit=5'];
    for (const url of reads) {
      assert.equal((await app.inject({ url })).statusCode, 401, url);
      assert.equal((await app.inject({ url, headers: as(tokens.read) })).statusCode, 200, url);
    }
    const writes = [
      { method: 'POST' as const, url: '/api/streams/clicks/events', payload: [{ user: 'u1', at: 1 }] },
      { method: 'PATCH' as const, url: '/api/streams/b/dials', payload: { maxWaitMs: 10 } },
    ];
    for (const write of writes) {
      assert.equal((await app.inject({ ...write, headers: as(tokens.read) })).statusCode, 403, write.url);
      const allowed = await app.inject({ ...write, headers: as(tokens.operate) });
      assert.ok(allowed.statusCode === 200 || allowed.statusCode === 202, `${write.url}: ${allowed.body}`);
    }
  });
});
