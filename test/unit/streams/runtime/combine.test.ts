import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sum } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { topK } from '../../../../src/streams/aggregates/top-k.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { sliding } from '../../../../src/streams/windows/window-spec.js';
import { stream } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../../../src/streams/runtime/records.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { topicSink } from '../../../../src/streams/runtime/sinks.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

interface Reading { sensor: string; at: number; level: number; tag: string }


describe('map-side combine with credit-based flow control', () => {
  let t: TestStore;
  const readings: Reading[] = Array.from({ length: 6_000 }, (_, i) => ({ sensor: `s${i % 5}`, at: 10 * i, level: i % 13, tag: `t${(i * 7) % 4}` }));
  before(async () => {
    t = openTestStore();
    await t.log.createTopic('readings', { partitions: 2 });
    await appendAll(t.log, 'readings', readings.map((value, i) => ({ value, partition: i % 2 })));
  });
  after(() => t.close());

  const run = async (name: string, combine: { maxBacklog: number } | undefined) => {
    const levels = stream<Reading>(name, { topic: 'readings' })
      .keyBy((r) => r.sensor, { time: eventTime<Reading>('at'), partitions: 2, ...(combine === undefined ? {} : { combine }) })
      .window(sliding({ range: 4_000, slide: 1_000 }))
      .aggregate(sum, (r) => r.level)
      .to(topicSink(`${name}-out`));
    // The window tasks find nothing at first and wait 100 ms before they read again: the mappers' first batch
    // (40 events per keyed partition) fits the credits, later ones, with the reducer behind, do not.
    const running = await startPipeline(levels, { store: t.store, ranges: await wholeTopic(t.log, 'readings'), batchSize: 80, pollIntervalMs: 100 });
    await running.done;
    const results = (await readAll(t.log, `${name}-out`)).map((r) => r.value as ResultRecord<number>);
    return { results: new Map(results.map((r) => [r.id.slice(name.length), r.value])), metrics: await running.metrics() };
  };

  it('pushes events while the reducer keeps up, combines per key and slice when it falls behind, and gives the same results', async () => {
    const pushed = await run('levels-push', undefined);
    const adaptive = await run('levels-adaptive', { maxBacklog: 50 });
    const modes = adaptive.metrics.mappers.map((m) => m.combine);
    const total = (field: keyof (typeof modes)[number]) => modes.reduce((n, m) => n + m[field], 0);
    assert.ok(total('pushBatches') > 0, 'pushed while credits lasted');
    assert.ok(total('combineBatches') > 0, 'combined once credits ran out');
    assert.equal(total('pushedEvents') + total('combinedEvents'), readings.length);
    assert.ok(total('partials') < total('combinedEvents'), 'partials stand for several events each');
    assert.equal(adaptive.metrics.windows.reduce((n, w) => n + w.accepted, 0), readings.length, 'every event counted once');
    assert.deepEqual(adaptive.results, pushed.results);
    // The same through a recomputation: each reading in the 4 ranges that hold it.
    let expected = 0;
    for (const r of readings) expected += 4 * r.level;
    assert.equal([...adaptive.results.values()].reduce((a, b) => a + b, 0), expected);
  });

  it('carries accumulators that JSON cannot (top-k keeps a Map) through a partial', async () => {
    const tags = stream<Reading>('tags-adaptive', { topic: 'readings' })
      .keyBy((r) => r.sensor, { time: eventTime<Reading>('at'), partitions: 1, combine: { maxBacklog: 0 } })
      .window(sliding({ range: 2_000, slide: 1_000 }))
      .aggregate(topK(2), (r) => r.tag)
      .to(topicSink('tags-out'));
    const running = await startPipeline(tags, { store: t.store, ranges: await wholeTopic(t.log, 'readings') });
    await running.done;
    assert.equal((await running.metrics()).mappers.reduce((n, m) => n + m.combine.pushBatches, 0), 0, 'no credits: always combined');
    const first = (await readAll(t.log, 'tags-out')).map((r) => r.value as ResultRecord<Array<{ item: string; count: number }>>).find((r) => r.key === 's0' && r.end === 2_000)!;
    const expected = new Map<string, number>();
    for (const r of readings) if (r.sensor === 's0' && r.at < 2_000) expected.set(r.tag, (expected.get(r.tag) ?? 0) + 1);
    assert.deepEqual(first.value.map((e) => [e.item, e.count]), [...expected].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 2));
  });
});
