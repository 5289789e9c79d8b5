import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { tumbling } from '../../../../src/streams/windows/window-spec.js';
import { JoinBuffer, type JoinedSet } from '../../../../src/streams/runtime/join-buffer.js';
import { startJoin } from '../../../../src/streams/runtime/join-task.js';
import { lookup, materializeTable } from '../../../../src/streams/runtime/keyed-table.js';
import { stream } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../../../src/streams/runtime/records.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { topicSink } from '../../../../src/streams/runtime/sinks.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('keyed tables', () => {
  let t: TestStore;
  before(() => (t = openTestStore()));
  after(() => t.close());

  it('materialises the latest value per key (null deletes) and follows new records', async () => {
    await t.log.createTopic('users', { partitions: 2 });
    await t.log.append('users', [
      { key: 'ann', value: { country: 'NO' } }, { key: 'bob', value: { country: 'FR' } },
      { key: 'ann', value: { country: 'SE' } }, { key: 'cat', value: { country: 'IT' } }, { key: 'cat', value: null },
    ]);
    const users = await materializeTable<{ country: string }>(t.log, 'users');
    assert.deepEqual(Object.fromEntries(users.entries()), { ann: { country: 'SE' }, bob: { country: 'FR' } });
    users.follow({ pollIntervalMs: 2 });
    await t.log.append('users', [{ key: 'dan', value: { country: 'DE' } }]);
    while (!users.has('dan')) await sleep(2);
    await users.stop();
    assert.equal(users.get('dan')?.country, 'DE');
  });

  it('enriches a stream from a table (stream–table lookup)', async () => {
    const users = await materializeTable<{ country: string }>(t.log, 'users');
    await t.log.createTopic('clicks', { partitions: 1 });
    await appendAll(t.log, 'clicks', ['ann', 'bob', 'ann', 'zed', 'dan'].map((user, i) => ({ value: { user, at: i } })));
    const definition = stream<{ user: string; at: number }>('clicks-by-country', { topic: 'clicks' })
      .map(lookup(users, (click) => click.user, (click, user) => ({ ...click, country: user?.country ?? 'unknown' })))
      .keyBy((click) => click.country, { time: eventTime('at'), partitions: 1 })
      .window(tumbling({ size: 1_000 }))
      .aggregate(count)
      .to(topicSink('clicks-by-country-out'));
    await (await startPipeline(definition, { store: t.store, ranges: await wholeTopic(t.log, 'clicks') })).done;
    const results = (await readAll(t.log, 'clicks-by-country-out')).map((r) => r.value as ResultRecord<number>);
    assert.deepEqual(Object.fromEntries(results.map((r) => [r.key, r.value])), { SE: 2, FR: 1, DE: 1, unknown: 1 });
  });
});

describe('joins', () => {
  it('hands on a set once all named parts arrive, and an incomplete one after the timeout', () => {
    const buffer = new JoinBuffer<string>(['order', 'payment'], 1_000);
    assert.deepEqual(buffer.add(7, 'order', 100, 'o7'), { type: 'buffered' });
    assert.deepEqual(buffer.add(7, 'order', 150, 'o7 again'), { type: 'duplicate-part' });
    assert.deepEqual(buffer.add(7, 'refund', 150, 'r7'), { type: 'unknown-part', part: 'refund' });
    assert.deepEqual(buffer.add(8, 'payment', 300, 'p8'), { type: 'buffered' });
    const copy = new JoinBuffer<string>(['order', 'payment'], 1_000);
    copy.restore(buffer.snapshot());
    const done = copy.add(7, 'payment', 900, 'p7');
    assert.deepEqual(done, { type: 'complete', set: { key: 7, parts: { order: 'o7', payment: 'p7' }, complete: true, missing: [], firstAt: 100 } });
    assert.deepEqual(copy.expire(1_299), []);
    assert.deepEqual(copy.expire(1_300), [{ key: 8, parts: { payment: 'p8' }, complete: false, missing: ['order'], firstAt: 300 }]);
    assert.equal(copy.size, 0);
  });

  it('runs a join over a topic: each set out exactly once, complete or not, across a restart', async () => {
    const t = openTestStore();
    try {
      interface Part { order: number; part: string; at: number }
      await t.log.createTopic('order-events', { partitions: 2 });
      const parts: Part[] = [];
      for (let order = 0; order < 200; order++) {
        for (const part of ['order', 'payment', 'shipment']) {
          if (order % 10 === 3 && part === 'shipment') continue; // never shipped: incomplete
          parts.push({ order, part, at: order * 100 + parts.length % 7 });
        }
      }
      const options = {
        name: 'fulfilment', store: t.store, source: { topic: 'order-events' }, parts: ['order', 'payment', 'shipment'],
        partOf: (e: Part) => e.part, keyOf: (e: Part) => e.order, timeOf: (e: Part) => e.at, timeoutMs: 2_000,
        output: 'fulfilled', incompleteOutput: 'unfulfilled', pollIntervalMs: 2,
      };
      let join = await startJoin(options);
      await appendAll(t.log, 'order-events', parts.slice(0, 300).map((value) => ({ value, partition: value.order % 2 })));
      while (join.metrics().complete < 80) await sleep(2);
      await join.stop();
      join = await startJoin(options);
      await appendAll(t.log, 'order-events', [...parts.slice(300), { order: 999, part: 'order', at: 60_000 }].map((value) => ({ value, partition: value.order % 2 })));
      while (join.metrics().complete + join.metrics().incomplete < 200) await sleep(2);
      await join.stop();

      const fulfilled = (await readAll(t.log, 'fulfilled')).map((r) => r.value as JoinedSet<Part>);
      const unfulfilled = (await readAll(t.log, 'unfulfilled')).map((r) => r.value as JoinedSet<Part>);
      assert.equal(fulfilled.length, 180);
      assert.equal(unfulfilled.length, 20);
      const keys = [...fulfilled, ...unfulfilled].map((s) => s.key);
      assert.equal(new Set(keys).size, 200, 'each order once');
      assert.ok(unfulfilled.every((s) => Number(s.key) % 10 === 3 && s.missing.join() === 'shipment'));
      assert.ok(fulfilled.every((s) => Object.keys(s.parts).length === 3));
    } finally {
      await t.close();
    }
  });
});
