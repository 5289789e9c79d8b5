// The built-in aggregates with a value generator each, shared by the law
// tests and the sliding property tests.
import type { Aggregate } from '../../../src/streams/aggregates/aggregate.js';
import { distinctCount } from '../../../src/streams/aggregates/distinct-count.js';
import { count, max, mean, min, sum } from '../../../src/streams/aggregates/numeric-aggregates.js';
import { topK } from '../../../src/streams/aggregates/top-k.js';
import type { StreamKey } from '../../../src/streams/stream-key.js';
import { intIn } from './random.js';

export interface Case {
  name: string;
  aggregate: Aggregate<never, unknown, unknown>;
  value: (random: () => number) => unknown;
}

const items = (random: () => number): StreamKey => (random() < 0.5 ? `item-${intIn(random, 0, 19)}` : intIn(random, 0, 19));

export const BUILT_INS: Case[] = [
  { name: 'count', aggregate: count as Case['aggregate'], value: (r) => r() },
  { name: 'sum (fractions)', aggregate: sum as Case['aggregate'], value: (r) => (r() - 0.5) * 1000 },
  { name: 'mean', aggregate: mean as unknown as Case['aggregate'], value: (r) => intIn(r, -50, 50) },
  { name: 'min', aggregate: min as Case['aggregate'], value: (r) => (r() - 0.5) * 100 },
  { name: 'max', aggregate: max as Case['aggregate'], value: (r) => (r() - 0.5) * 100 },
  { name: 'topK', aggregate: topK(3) as unknown as Case['aggregate'], value: items },
  { name: 'distinctCount', aggregate: distinctCount({ precision: 8 }) as unknown as Case['aggregate'], value: (r) => `v-${intIn(r, 0, 2000)}` },
];

