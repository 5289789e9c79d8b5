import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateAggregate, type Aggregate } from '../../../src/streams/aggregates/aggregate.js';
import { distinctCount } from '../../../src/streams/aggregates/distinct-count.js';
import { topK } from '../../../src/streams/aggregates/top-k.js';
import type { StreamKey } from '../../../src/streams/stream-key.js';
import { BUILT_INS, type Case } from './built-ins.js';
import { fold, intIn, prng, sameResult } from './random.js';

function values(random: () => number, c: Case): never[] {
  return Array.from({ length: intIn(random, 0, 40) }, () => c.value(random)) as never[];
}

describe('built-in aggregates: laws on random data', () => {
  for (const c of BUILT_INS) {
    it(`${c.name}: merging partials equals adding everything; identity, order and grouping do not matter`, () => {
      const random = prng(7);
      const agg = c.aggregate;
      for (let trial = 0; trial < 200; trial++) {
        const xs = values(random, c);
        const ys = values(random, c);
        const zs = values(random, c);
        const all = agg.result(fold(agg, [...xs, ...ys, ...zs]));
        const left = agg.merge(agg.merge(fold(agg, xs), fold(agg, ys)), fold(agg, zs));
        const right = agg.merge(fold(agg, xs), agg.merge(fold(agg, ys), fold(agg, zs)));
        const swapped = agg.merge(agg.merge(fold(agg, zs), fold(agg, xs)), fold(agg, ys));
        for (const [what, acc] of [['left', left], ['right', right], ['swapped', swapped]] as const) {
          assert.ok(sameResult(agg.result(acc), all), `${what}: ${JSON.stringify(agg.result(acc))} ≠ ${JSON.stringify(all)} (trial ${trial})`);
        }
        assert.ok(sameResult(agg.result(agg.merge(agg.init(), fold(agg, xs))), agg.result(fold(agg, xs))), 'init is a left identity');
        assert.ok(sameResult(agg.result(agg.merge(fold(agg, xs), agg.init())), agg.result(fold(agg, xs))), 'init is a right identity');
        if (xs.length > 0) {
          const [v, ...rest] = xs;
          assert.ok(sameResult(agg.result(agg.add(fold(agg, rest), v!)), agg.result(agg.merge(fold(agg, rest), agg.add(agg.init(), v!)))), 'add is a merge of one value');
        }
      }
    });

    it(`${c.name}: merge leaves its second argument alone, and result does not alias the accumulator`, () => {
      const random = prng(11);
      const agg = c.aggregate;
      for (let trial = 0; trial < 50; trial++) {
        const a = fold(agg, values(random, c));
        const b = fold(agg, values(random, c));
        const before = JSON.stringify(agg.result(b));
        const read = agg.result(a);
        const readBefore = JSON.stringify(read);
        agg.merge(a, b);
        agg.add(a, c.value(random) as never);
        assert.equal(JSON.stringify(agg.result(b)), before);
        assert.equal(JSON.stringify(read), readBefore);
      }
    });

    if (c.aggregate.unmerge !== undefined) {
      it(`${c.name}: unmerge undoes merge`, () => {
        const random = prng(13);
        const agg = c.aggregate;
        for (let trial = 0; trial < 200; trial++) {
          const xs = values(random, c);
          const b = fold(agg, values(random, c));
          const merged = agg.merge(fold(agg, xs), b);
          assert.ok(sameResult(agg.result(agg.unmerge!(merged, b)), agg.result(fold(agg, xs))), `trial ${trial}`);
        }
      });
    }
  }

  it('only count, sum and mean are invertible', () => {
    assert.deepEqual(BUILT_INS.filter((c) => c.aggregate.unmerge !== undefined).map((c) => c.aggregate.name), ['count', 'sum', 'mean']);
  });
});

describe('topK', () => {
  it('is exact while summaries stay within capacity, ordered by count then item', () => {
    const agg = topK(2);
    const acc = fold(agg, ['b', 'a', 'b', 3, 'a', 3, 'c']);
    assert.deepEqual(agg.result(acc), [{ item: 3, count: 2 }, { item: 'a', count: 2 }]);
  });

  it('past capacity, counts are lower bounds short by at most N / (capacity + 1), and heavy items stay', () => {
    const random = prng(3);
    const capacity = 16;
    const agg = topK(3, { capacity });
    const stream: StreamKey[] = [];
    for (let i = 0; i < 20_000; i++) stream.push(random() < 0.3 ? `hot-${intIn(random, 0, 2)}` : `cold-${intIn(random, 0, 4999)}`);
    const truth = new Map<StreamKey, number>();
    for (const item of stream) truth.set(item, (truth.get(item) ?? 0) + 1);
    // Fed in 40 partials merged together, as slices would be.
    let acc = agg.init();
    for (let part = 0; part < 40; part++) acc = agg.merge(acc, fold(agg, stream.slice(part * 500, part * 500 + 500)));
    const bound = stream.length / (capacity + 1);
    const top = agg.result(acc);
    assert.deepEqual(top.map((e) => e.item).sort(), ['hot-0', 'hot-1', 'hot-2']);
    for (const { item, count: n } of top) {
      assert.ok(n <= truth.get(item)! && n >= truth.get(item)! - bound, `${String(item)}: ${n} vs ${truth.get(item)}`);
    }
  });

  it('rejects a bad k or capacity', () => {
    assert.throws(() => topK(0), { code: 'CONFIG_INVALID', message: /k must be a whole number of at least 1, got 0/ });
    assert.throws(() => topK(5, { capacity: 2 }), { code: 'CONFIG_INVALID', message: /capacity must be a whole number of at least k \(5\), got 2/ });
  });
});

describe('distinctCount (HyperLogLog)', () => {
  it('is within its documented error (1.04/√m; checked at 3 standard errors)', () => {
    const agg = distinctCount();
    const standardError = 1.04 / Math.sqrt(4096);
    for (const n of [0, 1, 10, 1_000, 30_000, 200_000]) {
      let acc = agg.init();
      for (let i = 0; i < n; i++) acc = agg.add(acc, i % 2 === 0 ? `user-${i}` : i);
      const estimate = agg.result(acc);
      assert.ok(Math.abs(estimate - n) <= Math.max(1, 3 * standardError * n), `n=${n}: estimate ${estimate}`);
    }
  });

  it('gives the same estimate whatever the grouping (sparse or dense partials)', () => {
    const agg = distinctCount();
    const all: string[] = Array.from({ length: 5_000 }, (_, i) => `v${i % 3_000}`);
    const whole = agg.result(fold(agg, all));
    let merged = agg.init();
    for (let part = 0; part < 100; part++) merged = agg.merge(merged, fold(agg, all.slice(part * 50, part * 50 + 50)));
    assert.equal(agg.result(merged), whole);
    assert.notEqual(merged.dense, null);
    assert.notEqual(fold(agg, all.slice(0, 50)).sparse, null);
  });

  it('rejects a precision outside 4..16', () => {
    assert.throws(() => distinctCount({ precision: 20 }), { code: 'CONFIG_INVALID', message: /precision must be a whole number from 4 to 16, got 20/ });
  });
});

describe('validateAggregate', () => {
  const good: Aggregate<number, number, number> = { name: 'g', init: () => 0, add: (a, v) => a + v, merge: (a, b) => a + b, result: (a) => a };

  it('accepts a complete aggregate, with or without unmerge', () => {
    assert.equal(validateAggregate(good), good);
    assert.doesNotThrow(() => validateAggregate({ ...good, unmerge: (a: number, b: number) => a - b }));
  });

  it('names the missing or wrong field', () => {
    const { merge: _merge, ...noMerge } = good;
    assert.throws(() => validateAggregate(noMerge as never), { code: 'CONFIG_INVALID', message: /aggregate 'g': 'merge' must be a function, got undefined/ });
    assert.throws(() => validateAggregate({ ...good, result: 3 } as never), { code: 'CONFIG_INVALID', message: /'result' must be a function, got number/ });
    assert.throws(() => validateAggregate({ ...good, unmerge: 'no' } as never), { code: 'CONFIG_INVALID', message: /'unmerge' must be a function or left out/ });
    assert.throws(() => validateAggregate({ ...good, name: '' }), { code: 'CONFIG_INVALID', message: /needs a 'name'/ });
    assert.throws(() => validateAggregate(null as never), { code: 'CONFIG_INVALID', message: /must be an object/ });
  });
});
