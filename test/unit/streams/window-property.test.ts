// Property test: on random streams (two partitions, events out of order,
// some very late, watermarks that regress or go idle), every window kind and
// every built-in aggregate gives the results a brute-force recomputation
// gives, with late events classified exactly as the rules say.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, type StreamKey } from '../../../src/streams/stream-key.js';
import { createWindowOperator } from '../../../src/streams/windows/create-window-operator.js';
import { resultsOf, type WindowResult } from '../../../src/streams/windows/window-output.js';
import { landmark, sliding, tumbling, type WindowSpec } from '../../../src/streams/windows/window-spec.js';
import { BUILT_INS } from './built-ins.js';
import { fold, intIn, prng, sameResult } from './random.js';

interface Arrival {
  key: StreamKey;
  time: number;
  value: never;
  /** The operator's watermark when the event was added. */
  watermark: number;
  outcome: string;
}

const WINDOWS: WindowSpec[] = [
  sliding({ range: 4_000, slide: 1_000 }),
  sliding({ range: 6_000, slide: 4_000 }),
  sliding({ range: 10_000, slide: 2_000, slice: 1_000, offset: 300 }),
  // More than 64 slices: sealed buckets move into chunks (slice-bucket.ts).
  sliding({ range: 10_000, slide: 100 }),
  tumbling({ size: 2_500, offset: 700 }),
  landmark({ start: 1_000, slide: 1_500 }),
];
const KEYS: StreamKey[] = ['a', 'b', 'c', 1, 2];

/** Range ends (ms) and each range's start, for the ends that can hold an event in [lo, hi]. */
function rangesOf(window: WindowSpec, lo: number, hi: number): Array<[start: number, end: number]> {
  const out: Array<[number, number]> = [];
  if (window.kind === 'landmark') {
    for (let end = window.start + window.slide; end <= hi + window.slide; end += window.slide) out.push([window.start, end]);
    return out;
  }
  if (window.kind === 'session') throw new Error('sessions have no fixed ranges');
  const [range, slide, offset] = window.kind === 'tumbling' ? [window.size, window.size, window.offset] : [window.range, window.slide, window.offset];
  for (let k = Math.floor((lo - offset) / slide); offset + k * slide <= hi + range + slide; k++) out.push([offset + k * slide - range, offset + k * slide]);
  return out;
}

function check(window: WindowSpec, caseIndex: number, latenessMs: number, seed: number): Map<string, number> {
  const { aggregate, value } = BUILT_INS[caseIndex]!;
  const random = prng(seed);
  const operator = createWindowOperator({ window, aggregate, partitions: ['p0', 'p1'], allowedLatenessMs: latenessMs });
  const arrivals: Arrival[] = [];
  const results: WindowResult<unknown>[] = [];
  const late: Array<[StreamKey, number]> = [];
  const take = (output: ReturnType<typeof operator.drain>): void => {
    const flat = resultsOf(output);
    for (let i = 1; i < flat.length; i++) {
      const [a, b] = [flat[i - 1]!, flat[i]!];
      assert.ok(a.end < b.end || (a.end === b.end && compareKeys(a.key, b.key) < 0) || (a.end === b.end && a.key === b.key && a.kind !== b.kind), 'ordered by end, then key');
    }
    results.push(...flat);
    for (const event of output.late) late.push([event.key, event.time]);
  };
  let base = 0;
  const seen = [0, 0];
  let lastFinite = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < 300; i++) {
    base += intIn(random, 0, 250);
    const partition = intIn(random, 0, 1);
    const time = random() < 0.06 ? base - intIn(random, 2_000, 15_000) : base - intIn(random, 0, 1_500);
    const key = KEYS[intIn(random, 0, KEYS.length - 1)]!;
    const arrival: Arrival = { key, time, value: value(random) as never, watermark: operator.watermark, outcome: '' };
    arrival.outcome = operator.add(key, time, arrival.value);
    arrivals.push(arrival);
    seen[partition] = Math.max(seen[partition]!, base);
    const roll = random();
    if (roll < 0.15) take(operator.advanceWatermark(`p${partition}`, seen[partition]! - 1_500));
    else if (roll < 0.17) take(operator.advanceWatermark(`p${partition}`, seen[partition]! - 20_000));
    else if (roll < 0.18) take(operator.markIdle(`p${partition}`));
    else if (roll < 0.2) take(operator.drain());
    lastFinite = operator.watermark;
  }
  take(operator.advanceWatermark('p0', Number.POSITIVE_INFINITY));
  take(operator.advanceWatermark('p1', Number.POSITIVE_INFINITY));

  // The rules, recomputed by brute force.
  const ranges = rangesOf(window, Math.min(...arrivals.map((a) => a.time)), Math.max(...arrivals.map((a) => a.time)));
  const within = (a: Arrival, [start, end]: [number, number]): boolean => a.time >= start && a.time < end;
  const open = (a: Arrival, end: number): boolean => end + latenessMs > a.watermark;
  const before = window.kind === 'landmark' ? window.start : Number.NEGATIVE_INFINITY;
  for (const a of arrivals) {
    const mine = ranges.filter((r) => within(a, r));
    const expected = a.time < before ? 'rejected'
      : mine.every(([, end]) => !open(a, end)) ? 'late'
        : mine.some(([, end]) => end <= a.watermark && open(a, end)) ? 'updated' : 'accepted';
    assert.equal(a.outcome, expected, `event ${a.time} (watermark ${a.watermark}) of ${String(a.key)}`);
  }
  assert.deepEqual(late, arrivals.filter((a) => a.outcome === 'late').map((a) => [a.key, a.time]));

  const latest = new Map<string, WindowResult<unknown>>();
  const finals = new Set<string>();
  for (const r of results) {
    const id = `${String(r.key)}@${r.end}`;
    assert.ok(r.kind !== 'final' || !finals.has(id), `one final per range and key: ${id}`);
    if (r.kind === 'final') finals.add(id);
    latest.set(id, r);
  }
  const placed = arrivals.filter((a) => a.outcome === 'accepted' || a.outcome === 'updated');
  const newest = Math.max(...placed.map((a) => a.time));
  let expectedCount = 0;
  for (const key of KEYS) {
    for (const [start, end] of ranges) {
      if (window.kind === 'landmark' && end > Math.max(lastFinite, newest + window.slide)) continue;
      const included = placed.filter((a) => a.key === key && within(a, [start, end]) && open(a, end));
      const got = latest.get(`${String(key)}@${end}`);
      if (included.length === 0) {
        assert.equal(got, undefined, `no result for ${String(key)} [${start}, ${end})`);
        continue;
      }
      expectedCount++;
      assert.ok(got !== undefined, `a result for ${String(key)} [${start}, ${end})`);
      assert.equal(got.start, start);
      const want = aggregate.result(fold(aggregate, included.map((a) => a.value)));
      assert.ok(sameResult(got.value, want), `${String(key)} [${start}, ${end}): ${JSON.stringify(got.value)} ≠ ${JSON.stringify(want)}`);
    }
  }
  assert.equal(latest.size, expectedCount, 'no results beyond the expected ones');
  const m = operator.metrics();
  assert.equal(m.accepted + m.updated + m.late + m.rejected, arrivals.length, 'every event counted once');
  const outcomes = new Map<string, number>();
  for (const a of arrivals) outcomes.set(a.outcome, (outcomes.get(a.outcome) ?? 0) + 1);
  outcomes.set('update results', results.filter((r) => r.kind === 'update').length);
  return outcomes;
}

describe('window operator: results equal a brute-force recomputation', () => {
  for (const window of WINDOWS) {
    const label = JSON.stringify(window);
    for (let c = 0; c < BUILT_INS.length; c++) {
      it(`${label} × ${BUILT_INS[c]!.name}`, () => {
        const seen = new Map<string, number>();
        for (const lateness of [0, 1_500, 6_000]) {
          for (let seed = 1; seed <= 4; seed++) {
            for (const [outcome, n] of check(window, c, lateness, seed * 1000 + c)) seen.set(outcome, (seen.get(outcome) ?? 0) + n);
          }
        }
        // The random streams reach every path: on time, late but placed, updates, and (but for landmarks) past lateness.
        const expected = window.kind === 'landmark' ? ['accepted', 'updated', 'rejected', 'update results'] : ['accepted', 'updated', 'late', 'update results'];
        for (const outcome of expected) assert.ok((seen.get(outcome) ?? 0) > 0, `no '${outcome}' in ${JSON.stringify([...seen])}`);
      });
    }
  }
});
