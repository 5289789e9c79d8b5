import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MillraceError } from '../../../../src/core/errors.js';
import { parseDialArguments, setDials } from '../../../../src/streams/runtime/dials.js';
import { startMicroBatch, type Bucket, type RunningMicroBatch } from '../../../../src/streams/runtime/micro-batch.js';
import { openTestStore, readAll, type TestStore } from './support.js';

const MESSAGES = 3_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('micro-batch mode', () => {
  let t: TestStore;
  before(() => (t = openTestStore()));
  after(() => t.close());

  it('processes every message exactly once while the dials change and the stream restarts', async () => {
    await t.log.createTopic('orders', { partitions: 2 });
    const buckets: Bucket[] = [];
    let inFlight = 0;
    let widest = 0;
    const handler = async (bucket: Bucket) => {
      inFlight++;
      widest = Math.max(widest, inFlight);
      buckets.push(bucket);
      await sleep(bucket.records.length % 3);
      inFlight--;
      // The output is appended with the bucket's completion, in one transaction.
      return [{ topic: 'orders-done', records: bucket.records.map((r) => ({ value: { from: `${r.partition}/${r.offset}`, bucket: bucket.id } })) }];
    };
    await t.log.createTopic('orders-done', { partitions: 1 });
    const start = (): Promise<RunningMicroBatch> => startMicroBatch({ name: 'orders-mb', store: t.store, source: { topic: 'orders' }, handler, dials: { maxMessages: 100, maxWaitMs: 20 }, pollIntervalMs: 2 });

    let running = await start();
    let appended = 0;
    const produce = async (until: number): Promise<void> => {
      for (; appended < until; appended += 50) {
        await t.log.append('orders', Array.from({ length: 50 }, (_, i) => ({ value: { n: appended + i }, partition: (appended + i) % 2 })));
        await sleep(1);
      }
    };
    await produce(600);
    await setDials(t.log, 'orders-mb', { maxMessages: 7 });
    await produce(1200);
    await setDials(t.log, 'orders-mb', { concurrency: 4, maxWaitMs: 1 });
    await produce(1800);
    await running.stop();
    running = await start(); // a restart mid-stream: planned buckets resume, new ones follow the latest dials
    assert.deepEqual(running.dials(), { maxMessages: 7, maxWaitMs: 1, concurrency: 4 });
    await produce(2400);
    await setDials(t.log, 'orders-mb', { maxMessages: 250, concurrency: 2 });
    await produce(MESSAGES);
    while (running.metrics().messages < MESSAGES) await sleep(5);
    await running.stop();

    const done = (await readAll(t.log, 'orders-done')).map((r) => (r.value as { from: string }).from);
    const counts = new Map<string, number>();
    for (const from of done) counts.set(from, (counts.get(from) ?? 0) + 1);
    assert.equal(counts.size, MESSAGES, 'every message processed');
    assert.deepEqual([...new Set(counts.values())], [1], 'no message processed twice');
    assert.ok(buckets.every((b) => b.records.length <= b.dials.maxMessages && b.records.length === b.to - b.from), 'buckets respect the dials they were formed under');
    const sizesSeen = new Set(buckets.map((b) => b.dials.maxMessages));
    assert.deepEqual([...sizesSeen].sort((a, b) => a - b), [7, 100, 250]);
    assert.ok(widest > 1 && widest <= 4, `buckets ran side by side once concurrency went up, never more than 4 (${widest})`);
  });

  it('parses and checks dials given as key=value', () => {
    assert.deepEqual(parseDialArguments(['maxMessages=500', 'concurrency=3']), { maxMessages: 500, concurrency: 3 });
    assert.throws(() => parseDialArguments(['maxMesages=5']), (e: MillraceError) => e.code === 'CONFIG_INVALID' && /unknown dial "maxMesages"; the dials are maxMessages, maxWaitMs, concurrency/.test(e.message));
    assert.throws(() => parseDialArguments(['concurrency=0']), /concurrency must be a whole number ≥ 1/);
  });
});
