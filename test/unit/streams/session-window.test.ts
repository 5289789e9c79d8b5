import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count, sum } from '../../../src/streams/aggregates/numeric-aggregates.js';
import { compareKeys } from '../../../src/streams/stream-key.js';
import { createWindowOperator } from '../../../src/streams/windows/create-window-operator.js';
import { resultsOf, type WindowResult } from '../../../src/streams/windows/window-output.js';
import { session } from '../../../src/streams/windows/window-spec.js';
import { intIn, prng } from './random.js';

const rows = (output: Parameters<typeof resultsOf>[0]): Array<[unknown, number, number, unknown, string]> =>
  resultsOf(output).map((r) => [r.key, r.start, r.end, r.value, r.kind]);

describe('session windows', () => {
  it('group events less than the gap apart; events exactly the gap apart start a new session', () => {
    const op = createWindowOperator({ window: session({ gap: 100 }), aggregate: count });
    for (const t of [0, 50, 149, 249, 400]) op.add('k', t, null);
    assert.deepEqual(rows(op.advanceWatermark(0, 1_000)), [['k', 0, 249, 3, 'final'], ['k', 249, 349, 1, 'final'], ['k', 400, 500, 1, 'final']]);
  });

  it('an event that bridges two sessions merges them, out of order too', () => {
    const op = createWindowOperator({ window: session({ gap: 100 }), aggregate: sum });
    op.add('k', 0, 1);
    op.add('k', 150, 2);
    op.add('k', 90, 4);
    assert.deepEqual(rows(op.advanceWatermark(0, 300)), [['k', 0, 250, 7, 'final']]);
  });

  it('close in order of end, then key, per watermark', () => {
    const op = createWindowOperator({ window: session({ gap: 10 }), aggregate: count, partitions: ['a', 'b'] });
    op.add('z', 0, null);
    op.add('y', 0, null);
    op.add(3, 5, null);
    op.advanceWatermark('a', 100);
    assert.deepEqual(rows(op.advanceWatermark('b', 100)), [['y', 0, 10, 1, 'final'], ['z', 0, 10, 1, 'final'], [3, 5, 15, 1, 'final']]);
  });

  it('late events: within lateness they update (and may move or merge) closed sessions; beyond it they are late', () => {
    const op = createWindowOperator({ window: session({ gap: 100 }), aggregate: count, allowedLatenessMs: 500 });
    op.add('k', 0, null);
    op.add('k', 300, null);
    assert.deepEqual(rows(op.advanceWatermark(0, 450)), [['k', 0, 100, 1, 'final'], ['k', 300, 400, 1, 'final']]);
    assert.equal(op.add('k', 50, null), 'updated');
    assert.deepEqual(rows(op.drain()), [['k', 0, 150, 2, 'update']]);
    assert.equal(op.add('k', 120, null), 'updated', 'moves the end');
    assert.deepEqual(rows(op.drain()), [['k', 0, 220, 3, 'update']]);
    assert.equal(op.add('k', 210, null), 'updated', 'bridges [0, 220) and [300, 400)');
    assert.deepEqual(rows(op.drain()), [['k', 0, 400, 5, 'update']]);
    assert.equal(op.add('k', 380, null), 'updated', 'extends the session past the watermark: it reopens');
    assert.deepEqual(rows(op.drain()), []);
    assert.deepEqual(rows(op.advanceWatermark(0, 520)), [['k', 0, 480, 6, 'update']]);
    assert.equal(op.add('j', 200, null), 'accepted', 'a new session already due is emitted as final at the next hand-back');
    assert.deepEqual(rows(op.drain()), [['j', 200, 300, 1, 'final']]);
    op.advanceWatermark(0, 1_100);
    assert.equal(op.add('k', 10, null), 'late');
    assert.equal(op.drain().late.length, 1);
    assert.equal(op.metrics().keys, 0, 'past its lateness the session, and the key, are gone');
  });

  it('emit early results for open sessions that changed', () => {
    const op = createWindowOperator({ window: session({ gap: 1_000 }), aggregate: count, emit: { early: { everyMs: 100 } } });
    op.add('k', 0, null);
    op.add('k', 50, null);
    assert.deepEqual(rows(op.advanceWatermark(0, 100)), [['k', 0, 1_050, 2, 'early']]);
    assert.deepEqual(rows(op.advanceWatermark(0, 200)), []);
    op.add('k', 250, null);
    assert.deepEqual(rows(op.advanceWatermark(0, 300)), [['k', 0, 1_250, 3, 'early']]);
    assert.deepEqual(rows(op.advanceWatermark(0, 2_000)), [['k', 0, 1_250, 3, 'final']]);
  });

  it('equal a brute-force sessionisation on random streams', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = prng(seed);
      const gap = intIn(random, 50, 400);
      const op = createWindowOperator({ window: session({ gap }), aggregate: sum });
      const events: Array<{ key: string; time: number; value: number }> = [];
      const results: WindowResult<number>[] = [];
      let base = 0;
      for (let i = 0; i < 400; i++) {
        base += intIn(random, 0, 120);
        const event = { key: `k${intIn(random, 0, 4)}`, time: base - intIn(random, 0, 300), value: intIn(random, 1, 9) };
        assert.equal(op.add(event.key, event.time, event.value), 'accepted');
        events.push(event);
        if (random() < 0.2) results.push(...resultsOf(op.advanceWatermark(0, base - 300)));
      }
      results.push(...resultsOf(op.advanceWatermark(0, Infinity)));
      const expected: Array<[string, number, number, number]> = [];
      for (const key of new Set(events.map((e) => e.key))) {
        const mine = events.filter((e) => e.key === key).sort((a, b) => a.time - b.time);
        let start = mine[0]!.time;
        let last = start;
        let total = 0;
        for (const e of mine) {
          if (e.time - last >= gap) {
            expected.push([key, start, last + gap, total]);
            start = e.time;
            total = 0;
          }
          last = e.time;
          total += e.value;
        }
        expected.push([key, start, last + gap, total]);
      }
      expected.sort((a, b) => a[2] - b[2] || compareKeys(a[0], b[0]));
      assert.deepEqual(results.map((r) => [r.key, r.start, r.end, r.value]), expected, `seed ${seed}`);
      assert.ok(results.every((r) => r.kind === 'final'));
      assert.equal(op.metrics().keys, 0);
    }
  });
});
