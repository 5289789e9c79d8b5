/** planSplits: equal, contiguous ranges from sizes alone; stable partitioning. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BlobRef } from '../../../src/ports/blob-store.js';
import { partitionOf } from '../../../src/mapreduce/run-format.js';
import { planSplits } from '../../../src/mapreduce/split-plan.js';

const ref = (key: string, size: number): BlobRef => ({ store: 'fs', key, size, sha256: '0'.repeat(64) });

describe('planSplits', () => {
  it('cuts each input into equal contiguous ranges of at most splitBytes, numbered across inputs', () => {
    const splits = planSplits([ref('a', 10_000), ref('empty', 0), ref('b', 2048)], 4096);
    assert.deepEqual(splits.map((s) => [s.index, s.input, s.ref.key, s.start, s.end]), [
      [0, 0, 'a', 0, 3333], [1, 0, 'a', 3333, 6666], [2, 0, 'a', 6666, 10_000], [3, 2, 'b', 0, 2048],
    ]);
  });

  it('covers every byte exactly once, for huge inputs too (no rounding gaps past 2^53)', () => {
    const size = 2 ** 50 + 12_345;
    const splits = planSplits([ref('huge', size)], 2 ** 26 + 1);
    assert.equal(splits[0]!.start, 0);
    assert.equal(splits.at(-1)!.end, size);
    for (let i = 1; i < splits.length; i++) assert.equal(splits[i]!.start, splits[i - 1]!.end);
    assert.ok(splits.every((s) => s.end - s.start <= 2 ** 26 + 1));
  });

  it('refuses split sizes below 1 KiB and refs without a size', () => {
    assert.throws(() => planSplits([ref('a', 10)], 100), { code: 'CONFIG_INVALID', message: /splitBytes must be a whole number ≥ 1024/ });
    assert.throws(() => planSplits([{ ...ref('a', 10), size: -1 }], 4096), { code: 'CONFIG_INVALID', message: /input 0 \("a"\) has no valid size/ });
  });
});

describe('partitionOf', () => {
  it('is a stable function of the key (FNV-1a): the same in every process and release', () => {
    // Pinned values ('a' is FNV-1a's published 0xe40c292c): changing the hash would send keys of a running job to other reducers.
    assert.deepEqual(['', 'a', '/index.html', 'café'].map((key) => partitionOf(key, 1000)), [261, 220, 521, 68]);
  });

  it('spreads keys evenly', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 80_000; i++) counts[partitionOf(`/page/${i}`, 8)]!++;
    for (const count of counts) assert.ok(Math.abs(count - 10_000) < 600, `partition sizes ${counts.join(', ')}`);
  });
});
