import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count, max } from '../../../src/streams/aggregates/numeric-aggregates.js';
import { createWindowOperator } from '../../../src/streams/windows/create-window-operator.js';
import { resultsOf } from '../../../src/streams/windows/window-output.js';
import { gcd, landmark, planSlices, session, sliding, tumbling, type WindowSpec } from '../../../src/streams/windows/window-spec.js';

describe('window definitions', () => {
  it('cut sliding windows into slices of gcd(range, slide) unless told otherwise', () => {
    assert.deepEqual(planSlices(sliding({ range: 10_000, slide: 3_000 })), { sliceMs: 1_000, origin: 0, rangeSlices: 10, slideSlices: 3, rangeMs: 10_000 });
    assert.deepEqual(planSlices(sliding({ range: 60_000, slide: 1_000 })), { sliceMs: 1_000, origin: 0, rangeSlices: 60, slideSlices: 1, rangeMs: 60_000 });
    assert.equal(planSlices(sliding({ range: 60_000, slide: 20_000, slice: 5_000 })).sliceMs, 5_000);
    assert.deepEqual(planSlices(tumbling({ size: 500, offset: 1_700 })), { sliceMs: 500, origin: 200, rangeSlices: 1, slideSlices: 1, rangeMs: 500 });
    assert.deepEqual(planSlices(landmark({ start: 1_000, slide: 250 })), { sliceMs: 250, origin: 1_000, rangeSlices: Infinity, slideSlices: 1, rangeMs: Infinity });
    assert.equal(gcd(86_400_000, 1_000), 1_000);
  });

  it('reject a range that is not a multiple of its slice, naming both numbers', () => {
    assert.throws(() => sliding({ range: 10_000, slide: 3_000, slice: 3_000 }), {
      code: 'CONFIG_INVALID',
      message: /sliding window: range 10000 ms is not a multiple of its slice 3000 ms/,
    });
    assert.throws(() => sliding({ range: 12_000, slide: 3_000, slice: 2_000 }), { code: 'CONFIG_INVALID', message: /slide 3000 ms is not a multiple of its slice 2000 ms/ });
    assert.throws(() => sliding({ range: 1_000, slide: 2_000 }), { code: 'CONFIG_INVALID', message: /slide 2000 ms is longer than range 1000 ms/ });
  });

  it('reject sizes that are not positive whole milliseconds, and bad offsets or starts', () => {
    assert.throws(() => tumbling({ size: 0 }), { code: 'CONFIG_INVALID', message: /tumbling window: size must be a positive whole number of milliseconds, got 0/ });
    assert.throws(() => sliding({ range: 1.5, slide: 1 }), { message: /range must be a positive whole number of milliseconds, got 1.5/ });
    assert.throws(() => session({ gap: -1 }), { message: /session window: gap must be a positive/ });
    assert.throws(() => tumbling({ size: 10, offset: 0.5 }), { message: /offset must be a whole number/ });
    assert.throws(() => landmark({ start: Number.NaN, slide: 10 }), { message: /landmark window: start must be a whole number/ });
  });

  it('are checked again by createWindowOperator, with the options', () => {
    const forged = { kind: 'sliding', range: 10, slide: 3, slice: 3, offset: 0 } as WindowSpec;
    assert.throws(() => createWindowOperator({ window: forged, aggregate: count }), { message: /range 10 ms is not a multiple of its slice 3 ms/ });
    assert.throws(() => createWindowOperator({ window: { kind: 'hopping' } as never, aggregate: count }), { message: /unknown window kind "hopping"/ });
    assert.throws(() => createWindowOperator({ window: tumbling({ size: 10 }), aggregate: count, allowedLatenessMs: -1 }), { message: /allowedLatenessMs must be a whole number/ });
    assert.throws(() => createWindowOperator({ window: tumbling({ size: 10 }), aggregate: count, emit: { early: { everyMs: 0 } } }), { message: /emit.early.everyMs must be a positive/ });
    assert.throws(() => createWindowOperator({ window: tumbling({ size: 10 }), aggregate: { ...count, add: undefined } as never }), { message: /'add' must be a function/ });
    assert.throws(() => createWindowOperator({ window: tumbling({ size: 10 }), aggregate: count, partitions: [] }), { message: /at least one partition/ });
  });
});

describe('window boundaries are [start, end)', () => {
  it('an event at exactly a range end belongs to the next range', () => {
    const op = createWindowOperator({ window: tumbling({ size: 1_000 }), aggregate: count });
    for (const t of [0, 999, 1_000, 1_999, 2_000]) op.add('k', t, null);
    const results = resultsOf(op.advanceWatermark(0, 2_000));
    assert.deepEqual(results.map((r) => [r.start, r.end, r.value]), [[0, 1_000, 2], [1_000, 2_000, 2]]);
    assert.deepEqual(resultsOf(op.advanceWatermark(0, 3_000)).map((r) => [r.start, r.end, r.value]), [[2_000, 3_000, 1]]);
  });

  it('offsets shift the boundaries; negative times are fine', () => {
    const op = createWindowOperator({ window: tumbling({ size: 1_000, offset: 250 }), aggregate: max });
    for (const [t, v] of [[-800, 1], [249, 5], [250, 2], [1_249, 3]] as const) op.add('k', t, v);
    assert.deepEqual(resultsOf(op.advanceWatermark(0, 1_250)).map((r) => [r.start, r.end, r.value]), [[-1_750, -750, 1], [-750, 250, 5], [250, 1_250, 3]]);
  });

  it('a sliding range covers whole slices: [end − range, end) every slide', () => {
    const op = createWindowOperator({ window: sliding({ range: 3_000, slide: 2_000 }), aggregate: count });
    for (const t of [0, 1_000, 2_500, 3_999, 4_000]) op.add('k', t, null);
    const results = resultsOf(op.advanceWatermark(0, 6_000));
    assert.deepEqual(results.map((r) => [r.start, r.end, r.value]), [[-1_000, 2_000, 2], [1_000, 4_000, 3], [3_000, 6_000, 2]]);
  });
});
