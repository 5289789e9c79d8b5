/** Runners in one process sharing a store: the tasks are spread, a runner that leaves hands its tasks on, and the results equal one process running every task. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { sum } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { sliding } from '../../../../src/streams/windows/window-spec.js';
import { stream, type PipelineDefinition } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../../../src/streams/runtime/records.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { startRunner, type RunningRunner } from '../../../../src/streams/runtime/stream-runner.js';
import { StreamStatusReader } from '../../../../src/streams/runtime/stream-status.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { topicSink } from '../../../../src/streams/runtime/sinks.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

interface Sale { shop: string; at: number; amount: number }

function definition(): PipelineDefinition<number> {
  return stream<Sale>('spread', { topic: 'sales' })
    .keyBy((sale) => sale.shop, { time: eventTime<Sale>('at'), partitions: 3, maxOutOfOrderMs: 100 })
    .window(sliding({ range: 4_000, slide: 1_000 }))
    .aggregate(sum, (sale) => sale.amount)
    .to(topicSink('spread-out'));
}

const SALES = Array.from({ length: 6_000 }, (_, i) => ({ value: { shop: `s${i % 17}`, at: 10 * i, amount: (i % 5) + 1 }, partition: i % 3 }));
/** Per partition, the offsets the bounded run reads: all of SALES. */
const RANGES = [0, 1, 2].map(() => ({ from: 0, to: 2_000 }));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

describe('stream runners', () => {
  let single: TestStore;
  let spread: TestStore;
  before(async () => {
    single = openTestStore();
    spread = openTestStore();
    for (const t of [single, spread]) await t.log.createTopic('sales', { partitions: 3 });
    await appendAll(single.log, 'sales', SALES);
  });
  after(async () => {
    await single.close();
    await spread.close();
  });

  it('spreads the tasks over two runners; one leaves mid-run and the other finishes its work from the checkpoints', async () => {
    await (await startPipeline(definition(), { store: single.store, ranges: await wholeTopic(single.log, 'sales'), batchSize: 50 })).done;

    // Half the input is there at first, so the run cannot end before the hand-overs.
    await appendAll(spread.log, 'sales', SALES.slice(0, 3_000));
    const options = { store: spread.store, ranges: RANGES, batchSize: 50, leaseMs: 300, pollIntervalMs: 5 };
    const a: RunningRunner = await startRunner(definition(), { ...options, runnerId: 'a' });
    assert.deepEqual(a.metrics().tasks, ['map/0', 'map/1', 'map/2', 'window/0', 'window/1', 'window/2'], 'alone, a runs everything');
    const b: RunningRunner = await startRunner(definition(), { ...options, runnerId: 'b' });
    await until(() => b.metrics().tasks.length === 3);
    assert.deepEqual(a.metrics().members, ['a', 'b']);
    assert.deepEqual(b.metrics().tasks, ['map/1', 'window/0', 'window/2'], 'half moved to b');
    await a.stop();
    await appendAll(spread.log, 'sales', SALES.slice(3_000));
    await b.done;
    assert.ok(b.metrics().started >= 6, `b ran every task at some point (started ${b.metrics().started})`);

    const expected = (await readAll(single.log, 'spread-out')).map((r) => r.value as ResultRecord<number>);
    const actual = (await readAll(spread.log, 'spread-out')).map((r) => r.value as ResultRecord<number>);
    const byId = (results: Array<ResultRecord<number>>): Array<[string, number]> => results.map((r): [string, number] => [r.id, r.value]).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    assert.equal(new Set(actual.map((r) => r.id)).size, actual.length, 'no result twice');
    assert.ok(expected.length > 1_000);
    assert.deepEqual(byId(actual), byId(expected));

    // Status, from the stores alone: nothing left to read, and the group as the runners left it.
    const status = await new StreamStatusReader({ log: spread.log, checkpoints: spread.checkpoints, clock: new ManualClock(0) }).pipeline(definition());
    assert.equal(status.lag, 0);
    assert.deepEqual(status.runners?.members, ['b'], 'a left; b ended the run');
    assert.deepEqual(status.runners?.owners, {}, 'every task ended and was released');
  });

  it('two runners started at once with different ranges both read the ranges of the one that made the group', async () => {
    const t = openTestStore();
    try {
      await t.log.createTopic('sales', { partitions: 3 });
      // 100 records per partition now, 100 more once both runners hold tasks: a runner reading other ranges than
      // the group's would end its partitions at 100 or wait for records past 100 that the others never read.
      await appendAll(t.log, 'sales', SALES.slice(0, 300));
      const whole = [0, 1, 2].map(() => ({ from: 0, to: 200 }));
      const half = [0, 1, 2].map(() => ({ from: 0, to: 100 }));
      const common = { store: t.store, batchSize: 50, leaseMs: 300, pollIntervalMs: 5 };
      const [a, b] = await Promise.all([startRunner(definition(), { ...common, ranges: whole, runnerId: 'a' }), startRunner(definition(), { ...common, ranges: half, runnerId: 'b' })]);
      await until(() => a.metrics().tasks.length === 3 && b.metrics().tasks.length === 3);
      await appendAll(t.log, 'sales', SALES.slice(300, 600));
      await Promise.all([a.done, b.done]);
      const group = await t.checkpoints.load('spread/group');
      const ranges = (JSON.parse(new TextDecoder().decode(group!.state)) as { ranges: Array<{ to: number }> }).ranges;
      const read = ranges.reduce((n, range) => n + range.to, 0);
      assert.ok(read === 600 || read === 300, `one runner's ranges: ${JSON.stringify(ranges)}`);
      const keyed = (await readAll(t.log, 'spread.keyed')).filter((r) => (r.value as { t: string }).t === 'e');
      assert.equal(keyed.length, read, 'every runner read exactly those');
    } finally {
      await t.close();
    }
  });

  it('rejects a heartbeat that is not shorter than the lease', async () => {
    const t = openTestStore();
    await t.log.createTopic('sales', { partitions: 1 });
    await assert.rejects(startRunner(definition(), { store: t.store, leaseMs: 100, heartbeatMs: 100 }), { code: 'CONFIG_INVALID', message: /heartbeatMs \(100\) must be positive and shorter than leaseMs \(100\)/ });
    await t.close();
  });
});
