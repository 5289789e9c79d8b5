import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count, sum } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { sliding, tumbling } from '../../../../src/streams/windows/window-spec.js';
import { stream } from '../../../../src/streams/runtime/pipeline.js';
import type { StreamDeadLetter, LateRecord, ResultRecord } from '../../../../src/streams/runtime/records.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { callbackSink, topicSink } from '../../../../src/streams/runtime/sinks.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

interface Sale { shop: string; at: number; amount: number }

describe('stream runtime: source → steps → keyBy → window → aggregate → sinks', () => {
  let t: TestStore;
  before(() => (t = openTestStore()));
  after(() => t.close());

  it('counts per key and window across partitions, equal to a recomputation, with bad input in dead letters', async () => {
    await t.log.createTopic('sales', { partitions: 3 });
    const sales: Sale[] = [];
    for (let i = 0; i < 3_000; i++) sales.push({ shop: `s${(i * 7) % 11}`, at: 1_000 * i + ((i * 13) % 5), amount: (i % 9) + 1 });
    const lines = sales.map((sale) => JSON.stringify(sale));
    lines.splice(100, 0, '{not json');
    lines.splice(200, 0, JSON.stringify({ shop: 's1', amount: 3 })); // no time
    lines.splice(300, 0, JSON.stringify({ at: 5, amount: 3 })); // no key
    await appendAll(t.log, 'sales', lines.map((line, i) => ({ value: line, partition: i % 3 })));

    const seen: ResultRecord<number>[] = [];
    const definition = stream<string>('sales-per-shop', { topic: 'sales' })
      .map((line) => JSON.parse(line) as Sale, 'parse')
      .filter((sale) => sale.amount > 0)
      .keyBy((sale) => sale.shop, { time: eventTime<Sale>('at'), partitions: 2 })
      .window(tumbling({ size: 60_000 }))
      .aggregate(sum, (sale) => sale.amount)
      .to(topicSink('shop-minutes'), callbackSink((results) => void seen.push(...results)));
    const running = await startPipeline(definition, { store: t.store, ranges: await wholeTopic(t.log, 'sales'), batchSize: 256 });
    await running.done;

    const results = (await readAll(t.log, 'shop-minutes')).map((record) => record.value as ResultRecord<number>);
    const expected = new Map<string, number>();
    for (const sale of sales) {
      const start = Math.floor(sale.at / 60_000) * 60_000;
      const id = `${sale.shop}@${start}`;
      expected.set(id, (expected.get(id) ?? 0) + sale.amount);
    }
    const actual = new Map(results.map((r) => [`${String(r.key)}@${r.start}`, r.value]));
    assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()));
    assert.ok(results.every((r) => r.kind === 'final'));
    assert.equal(new Set(results.map((r) => r.id)).size, results.length, 'result ids are unique');
    assert.deepEqual(seen.map((r) => r.id).sort(), results.map((r) => r.id).sort(), 'the callback saw every result');

    const dead = (await readAll(t.log, 'sales-per-shop.dead-letters')).map((record) => record.value as StreamDeadLetter);
    assert.deepEqual(dead.map((d) => d.reason).sort(), ['invalid-key', 'invalid-time', 'step-failed']);
    const parseFailure = dead.find((d) => d.reason === 'step-failed')!;
    assert.equal(parseFailure.step, 'parse');
    assert.equal(parseFailure.value, '{not json');
    assert.match(parseFailure.message, /JSON/);
    const metrics = await running.metrics();
    assert.equal(metrics.mappers.reduce((n, m) => n + m.deadLetters, 0), 3);
    assert.equal(metrics.windows.reduce((n, w) => n + w.accepted, 0), sales.length);
    assert.equal(metrics.lag, 0);
  });

  it('sends events past the allowed lateness to the late topic and counts them', async () => {
    await t.log.createTopic('clicks', { partitions: 1 });
    // Times 0..59 s in order, then two stragglers: one within lateness (updates its range), one past it.
    const times = [...Array.from({ length: 60 }, (_, i) => i * 1_000), 125_000, 9_000, 40_000];
    await appendAll(t.log, 'clicks', times.map((at) => ({ value: { page: 'a', at } })));
    const definition = stream<{ page: string; at: number }>('clicks-late', { topic: 'clicks' })
      .keyBy((c) => c.page, { time: eventTime('at'), partitions: 1 })
      .window(sliding({ range: 20_000, slide: 10_000 }), { allowedLatenessMs: 70_000 })
      .aggregate(count)
      .to(topicSink('clicks-late-out'));
    const running = await startPipeline(definition, { store: t.store, ranges: await wholeTopic(t.log, 'clicks'), batchSize: 1 });
    await running.done;
    const late = (await readAll(t.log, 'clicks-late.late')).map((r) => r.value as LateRecord);
    // Watermark 125 s: the 9 s event's ranges ended at 10 s and 20 s, past 70 s of lateness; of the 40 s event's, the one
    // ending at 60 s is within it (60 + 70 > 125) and is updated, the one ending at 50 s is not.
    assert.deepEqual(late.map((l) => l.time), [9_000]);
    assert.equal(late[0]!.watermark, 125_000);
    const results = (await readAll(t.log, 'clicks-late-out')).map((r) => r.value as ResultRecord<number>);
    const updates = results.filter((r) => r.kind === 'update').map((r) => [r.start, r.end, r.value]);
    assert.deepEqual(updates, [[40_000, 60_000, 21]]);
    const metrics = await running.metrics();
    assert.equal(metrics.windows[0]!.late, 1);
    assert.equal(metrics.windows[0]!.updated, 1);
  });

  it('rejects a window whose range is not a multiple of its slice, saying so', () => {
    const spec = { kind: 'sliding', range: 10_000, slide: 3_000, slice: 3_000, offset: 0 } as const;
    assert.throws(
      () => stream('bad', { topic: 'x' }).keyBy(() => 'k').window(spec).aggregate(count).to(topicSink('y')),
      (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && /range 10000 ms is not a multiple of its slice 3000 ms/.test(error.message),
    );
  });
});

