/**
 * @module bench/queries-think
 * One system of the `queries` benchmark, thinking users only, for looking
 * into its tail: the same warm-up and users as a round of
 * `npm run bench -- queries`, then p50/p95/p99, the mean latency second by
 * second, and the 20 slowest answers (sent at, zoom depth, ms, bytes read).
 * `--drop-caches` empties the page cache first (root on Linux), to tell a
 * disk-bound tail from a CPU-bound one.
 *
 * ```
 * node --import tsx bench/queries-think.ts [--bytes 4000MB] [--seconds 30] [--system millrace] [--drop-caches]
 * node --max-semi-space-size=64 --import tsx bench/queries-think.ts …   (the flag the bench's users run under)
 * ```
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchDataset, parseMegabytes, percentile, thinkingUsers, warmUp } from './queries-load.js';
import { startSystem, type SystemName } from './queries-systems.js';

const SYSTEMS: readonly SystemName[] = ['millrace', 'brute-force', 'cluster-1', 'cluster-2'];
const { values: args } = parseArgs({
  options: {
    bytes: { type: 'string', default: '4000MB' },
    seconds: { type: 'string', default: '30' },
    system: { type: 'string', default: 'millrace' },
    'drop-caches': { type: 'boolean', default: false },
  },
});
const bytes = parseMegabytes('--bytes', args.bytes);
const seconds = Number(args.seconds);
if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`--seconds must be a whole number from 1, not ${args.seconds}`);
const system = SYSTEMS.find((name) => name === args.system);
if (system === undefined) throw new Error(`--system must be one of ${SYSTEMS.join(', ')}, not ${args.system}`);

const data = await benchDataset(20, bytes);
if (args['drop-caches']) writeFileSync('/proc/sys/vm/drop_caches', '1');
const running = await startSystem(system, data);
try {
  // As the first round of the benchmark.
  await warmUp(running.url, data.revision, 0);
  const samples = await thinkingUsers(running.url, data.revision, 0, 100, seconds * 1000);
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const computed = samples.filter((s) => !s.hit);
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  console.log(`${system}, ${mb(bytes)} MB, ${samples.length} answers (${computed.length} computed): p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms`);
  const first = Math.min(...samples.map((s) => s.sentAt));
  const perSecond = Array.from({ length: seconds }, (_, k) => {
    const inSecond = samples.filter((s) => Math.floor((s.sentAt - first) / 1000) === k);
    return `${k}: ${(inSecond.reduce((sum, s) => sum + s.ms, 0) / inSecond.length).toFixed(0)}`;
  });
  console.log(`mean ms by second sent: ${perSecond.join(', ')}`);
  const slowest = [...samples].sort((a, b) => b.ms - a.ms).slice(0, 20);
  console.log(`slowest (sent at s / depth / ms / MB read): ${slowest.map((s) => `${((s.sentAt - first) / 1000).toFixed(1)}/${s.depth}/${s.ms.toFixed(0)}/${mb(s.bytesRead)}`).join(' ')}`);
} finally {
  await running.close();
}
