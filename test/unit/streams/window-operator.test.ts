import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { count, max, sum } from '../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime, processingTime } from '../../../src/streams/time/time-assigner.js';
import { WatermarkTracker } from '../../../src/streams/time/watermark-tracker.js';
import { createWindowOperator } from '../../../src/streams/windows/create-window-operator.js';
import { resultsOf } from '../../../src/streams/windows/window-output.js';
import { landmark, sliding, tumbling } from '../../../src/streams/windows/window-spec.js';

const rows = (output: Parameters<typeof resultsOf>[0]): Array<[unknown, number, number, unknown, string]> =>
  resultsOf(output).map((r) => [r.key, r.start, r.end, r.value, r.kind]);

describe('watermarks', () => {
  it('the operator watermark is the minimum over partitions; a regression is ignored and counted', () => {
    const marks = new WatermarkTracker(['a', 'b']);
    assert.equal(marks.advance('a', 5_000), Number.NEGATIVE_INFINITY);
    assert.equal(marks.advance('b', 3_000), 3_000);
    assert.equal(marks.advance('b', 2_000), 3_000);
    assert.equal(marks.regressions, 1);
    assert.equal(marks.advance('b', 9_000), 5_000);
  });

  it('idle partitions do not hold the watermark back; the watermark never moves back when they resume', () => {
    const marks = new WatermarkTracker([0, 1, 2]);
    marks.advance(0, 10);
    marks.advance(1, 20);
    assert.equal(marks.markIdle(2), 10);
    assert.equal(marks.markIdle(0), 20);
    assert.equal(marks.markIdle(1), 20, 'all idle: the highest any reported');
    assert.equal(marks.advance(2, 5), 20, 'a resumed partition behind the watermark does not pull it back');
    assert.equal(marks.advance(2, 30), 30);
  });

  it('rejects unknown partitions and NaN', () => {
    const marks = new WatermarkTracker(['x']);
    assert.throws(() => marks.advance('y', 1), { code: 'CONFIG_INVALID', message: /partition "y" is not one of this operator's partitions \("x"\)/ });
    assert.throws(() => marks.advance('x', Number.NaN), { code: 'CONFIG_INVALID', message: /got NaN/ });
    assert.throws(() => new WatermarkTracker(['x', 'x']), { message: /listed twice/ });
  });

  it('a slice is sealed only once every partition has passed it', () => {
    const op = createWindowOperator({ window: tumbling({ size: 1_000 }), aggregate: count, partitions: ['a', 'b'] });
    op.add('k', 100, null);
    assert.deepEqual(rows(op.advanceWatermark('a', 5_000)), []);
    assert.deepEqual(rows(op.advanceWatermark('b', 999)), []);
    assert.deepEqual(rows(op.advanceWatermark('b', 1_000)), [['k', 0, 1_000, 1, 'final']]);
    assert.equal(op.watermark, 1_000);
  });
});

describe('lateness', () => {
  it('within the allowed lateness an event updates the emitted range; beyond it goes to the late output, counted', () => {
    const op = createWindowOperator({ window: tumbling({ size: 1_000 }), aggregate: sum, allowedLatenessMs: 2_000 });
    op.add('k', 500, 1);
    assert.deepEqual(rows(op.advanceWatermark(0, 1_500)), [['k', 0, 1_000, 1, 'final']]);
    assert.equal(op.add('k', 600, 10), 'updated');
    assert.equal(op.add('k', 700, 100), 'updated');
    assert.deepEqual(rows(op.advanceWatermark(0, 2_999)), [['k', 0, 1_000, 111, 'update']], 'two late events, one coalesced update');
    const output = op.advanceWatermark(0, 3_000);
    assert.equal(op.add('k', 800, 1_000), 'late');
    assert.deepEqual(rows(output), []);
    const after = op.drain();
    assert.deepEqual(after.late, [{ key: 'k', time: 800, value: 1_000, watermark: 3_000 }]);
    const m = op.metrics();
    assert.deepEqual([m.accepted, m.updated, m.late, m.updateResults, m.finalResults], [1, 2, 1, 1, 1]);
  });

  it('with no lateness, an event for a closed range is late at once; one still inside a future range is accepted', () => {
    const op = createWindowOperator({ window: sliding({ range: 3_000, slide: 1_000 }), aggregate: count });
    op.add('k', 0, null);
    op.advanceWatermark(0, 2_000);
    assert.equal(op.add('k', 1_500, null), 'accepted', 'behind the watermark, but the ranges ending at 3 s and 4 s are open');
    assert.equal(op.add('j', 1_500, null), 'accepted', 'also for a key never seen');
    const results = rows(op.advanceWatermark(0, 3_000));
    assert.deepEqual(results, [['j', 0, 3_000, 1, 'final'], ['k', 0, 3_000, 2, 'final']]);
    op.advanceWatermark(0, 5_000);
    assert.equal(op.add('k', 1_999, null), 'late');
    assert.equal(op.drain().late.length, 1);
  });

  it('a watermark of Infinity closes every range holding data; later events are late', () => {
    const op = createWindowOperator({ window: sliding({ range: 2_000, slide: 1_000 }), aggregate: count });
    op.add('k', 0, null);
    op.add('k', 10_500, null);
    const results = rows(op.advanceWatermark(0, Number.POSITIVE_INFINITY));
    assert.deepEqual(results.map((r) => r[2]), [1_000, 2_000, 11_000, 12_000], 'empty stretches are skipped');
    assert.equal(op.add('k', 1e12, null), 'late');
  });
});

describe('bad input', () => {
  it('events with no key or time come back as rejected, with the reason', () => {
    const op = createWindowOperator({ window: landmark({ start: 1_000, slide: 1_000 }), aggregate: count });
    assert.equal(op.add(undefined as never, 1_500, 'a'), 'rejected');
    assert.equal(op.add(Number.NaN, 1_500, 'b'), 'rejected');
    assert.equal(op.add('k', Number.NaN, 'c'), 'rejected');
    assert.equal(op.add('k', '2000' as never, 'd'), 'rejected');
    assert.equal(op.add('k', Number.POSITIVE_INFINITY, 'e'), 'rejected');
    assert.equal(op.add('k', 999, 'f'), 'rejected');
    const { rejected } = op.drain();
    assert.deepEqual(rejected.map((r) => [r.value, r.reason]), [
      ['a', 'invalid-key'], ['b', 'invalid-key'], ['c', 'invalid-time'], ['d', 'invalid-time'], ['e', 'invalid-time'], ['f', 'before-landmark'],
    ]);
    assert.match(rejected[0]!.message, /key must be a string or a finite number, got undefined/);
    assert.equal(op.metrics().rejected, 6);
  });
});

describe('landmark windows', () => {
  it('report everything since the start, every slide, and accept late events into later reports', () => {
    const op = createWindowOperator({ window: landmark({ start: 0, slide: 1_000 }), aggregate: max, allowedLatenessMs: 1_000 });
    op.add('k', 100, 3);
    op.add('k', 1_100, 1);
    assert.deepEqual(rows(op.advanceWatermark(0, 2_000)), [['k', 0, 1_000, 3, 'final'], ['k', 0, 2_000, 3, 'final']]);
    assert.equal(op.add('k', 50, 9), 'updated');
    assert.deepEqual(rows(op.advanceWatermark(0, 3_000)), [['k', 0, 2_000, 9, 'update'], ['k', 0, 3_000, 9, 'final']]);
  });
});

describe('emit strategies', () => {
  it('early results for the next range, driven by the watermark, only for keys that changed', () => {
    const op = createWindowOperator({ window: tumbling({ size: 10_000 }), aggregate: count, emit: { early: { everyMs: 2_000 } } });
    op.add('a', 100, null);
    op.add('b', 200, null);
    assert.deepEqual(rows(op.advanceWatermark(0, 2_000)), [['a', 0, 10_000, 1, 'early'], ['b', 0, 10_000, 1, 'early']]);
    op.add('b', 2_500, null);
    assert.deepEqual(rows(op.advanceWatermark(0, 3_000)), [], 'no early point crossed');
    assert.deepEqual(rows(op.advanceWatermark(0, 4_100)), [['b', 0, 10_000, 2, 'early']]);
    assert.deepEqual(rows(op.advanceWatermark(0, 10_000)), [['a', 0, 10_000, 1, 'final'], ['b', 0, 10_000, 2, 'final']]);
  });
});

describe('state is bounded', () => {
  it('keys that go idle are dropped once their ranges have passed', () => {
    const op = createWindowOperator({ window: sliding({ range: 5_000, slide: 1_000 }), aggregate: count, allowedLatenessMs: 1_000 });
    for (let second = 0; second < 1_000; second++) {
      // A thousand keys, each seen in one second only: a long run must not keep them all.
      op.add(`user-${second}`, second * 1_000 + 10, null);
      op.add('steady', second * 1_000 + 20, null);
      op.advanceWatermark(0, second * 1_000 + 500);
      assert.ok(op.metrics().keys <= 9, `${op.metrics().keys} keys held at second ${second}`);
    }
    op.advanceWatermark(0, 2_000_000);
    assert.equal(op.metrics().keys, 0);
    assert.equal(op.metrics().evictedKeys, 1_001);
  });

  it('also with two stacks (no unmerge)', () => {
    for (const window of [sliding({ range: 5_000, slide: 1_000 })] as const) {
      const op = createWindowOperator({ window, aggregate: max });
      for (let i = 0; i < 100; i++) op.add(`k${i}`, i * 1_000, i);
      op.advanceWatermark(0, 200_000);
      assert.equal(op.metrics().keys, 0);
    }
  });
});

describe('time', () => {
  it('event time from a field or a function; a missing field is rejected', () => {
    const byField = eventTime<{ at?: number }>('at');
    assert.equal(byField.timeOf({ at: 42 }, 0), 42);
    assert.ok(Number.isNaN(byField.timeOf({}, 0)));
    assert.equal(eventTime((e: { s: string }) => Date.parse(e.s)).timeOf({ s: '1970-01-01T00:00:01Z' }, 0), 1_000);
  });

  it('processing time comes from the injected clock, never the system clock', async () => {
    const clock = new ManualClock(0);
    const time = processingTime();
    const op = createWindowOperator({ window: tumbling({ size: 1_000 }), aggregate: count });
    op.add('k', time.timeOf(null, clock.now()), null);
    await clock.advance(400);
    op.add('k', time.timeOf(null, clock.now()), null);
    await clock.advance(700);
    op.add('k', time.timeOf(null, clock.now()), null);
    assert.deepEqual(rows(op.advanceWatermark(0, clock.now())), [['k', 0, 1_000, 2, 'final']]);
  });
});

describe('determinism', () => {
  it('two partitions interleaved differently (live vs replay) give the same output sequence', () => {
    const logs = [0, 1].map((p) => Array.from({ length: 150 }, (_, i) => ({ key: `k${(i * 7 + p) % 13}`, time: i * 40 + p * 13, partition: p })));
    const run = (arrival: Array<(typeof logs)[number][number]>): unknown[] => {
      const op = createWindowOperator({ window: sliding({ range: 2_000, slide: 500 }), aggregate: count, partitions: [0, 1] });
      const out: unknown[] = [];
      for (const e of arrival) {
        op.add(e.key, e.time, null);
        out.push(...rows(op.advanceWatermark(e.partition, e.time)));
      }
      out.push(...rows(op.advanceWatermark(0, Infinity)), ...rows(op.advanceWatermark(1, Infinity)));
      return out;
    };
    const roundRobin = logs[0]!.flatMap((e, i) => [e, logs[1]![i]!]);
    const inBursts = [...logs[0]!.slice(0, 100), ...logs[1]!.slice(0, 60), ...logs[0]!.slice(100), ...logs[1]!.slice(60)];
    const live = run(roundRobin);
    assert.ok(live.length > 100);
    assert.deepEqual(run(inBursts), live);
  });
});
