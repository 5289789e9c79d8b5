/**
 * @module bench/queries
 * Zoom-and-pan heatmaps for many users over a generated dataset
 * (docs/queries.md, issue 6). 100 users each pick a file and walk through
 * it: zoom in 2–4×, pan, zoom out (back to a view seen before), asking for
 * a 512 × 512 PNG each time and thinking 0.5–1.5 s between answers (about
 * 100 queries/s offered); then the same users with no think time
 * (saturation).
 *
 * ```
 *  users (this process) ──HTTP──▶ server process ─▶ QueryService ─▶ strips ─▶ query threads / workers
 *  millrace       embedded: in-memory query queue, one query thread a core; level rule, 64 MiB cache
 *  brute-force    the same, every query at the base level (all cells within bounds: no pyramid), no cache
 *  cluster-1, -2  RabbitMQ + PostgreSQL: the server computes nothing, 1 or 2 `millrace worker --queries` processes do
 * ```
 *
 * Each system starts cold and is warmed up for 3 s (20 users asking for
 * images one pixel shorter, so the cache holds none of the measured ones).
 *
 * Rows (ms, lower is better): latency percentiles of the thinking users;
 * for the clusters also the saturated cost of an answer (1000 ÷ answers/s),
 * so `cluster-1/cluster-2` is how many times the answers/s two workers
 * give over one. Each round also prints throughput, bytes read against
 * bytes returned, cache hit rate, the share within the 500 ms budget and
 * the issue's targets met or not; bench/results/queries-load.json keeps it all
 * (`-full`, `-quick` in the name at those sizes).
 *
 * Sizes (`--quick`, default, `--full`): 100 MB, 400 MB or 4 GB of base grid
 * over 20 files (about 6.5× that stored, with the levels), generated once
 * into bench/.data/queries/ (git-ignored) and reused. On the full size the
 * brute force is run by 10 users instead of 100 (a whole-file view reads a
 * file's whole base grid, 200 MB): its output says so.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { isServiceUp } from '../test/helpers/services.js';
import type { Benchmark, BenchOptions, Peer } from './harness.js';
import { RESULTS_DIR, sizeSuffix } from './harness.js';
import { benchDataset, percentile, simulateUsers, thinkingUsers, warmUp, type BenchDataset, type Sample } from './queries-load.js';
import { startSystem, type SystemName } from './queries-systems.js';

const FILES = 20;
const USERS = 100;
const BUDGET_MS = 500;
const TARGETS = { p99Ms: 100, zoomedOutReadOverGrid: 4, clusterSpeedup: 1.6 };

interface Shape {
  bytes: number;
  thinkMs: number;
  saturatedMs: number;
  bruteForceUsers: number;
}

function shape(options: BenchOptions): Shape {
  if (options.full === true) return { bytes: 4e9, thinkMs: 30_000, saturatedMs: 15_000, bruteForceUsers: 10 };
  if (options.quick) return { bytes: 100e6, thinkMs: 6_000, saturatedMs: 3_000, bruteForceUsers: USERS };
  return { bytes: 400e6, thinkMs: 10_000, saturatedMs: 5_000, bruteForceUsers: USERS };
}

interface Summary {
  users: number;
  requests: number;
  errors: number;
  /** Failed requests by HTTP status (0: no answer at all). */
  errorsByStatus: Record<number, number>;
  p50: number;
  p95: number;
  p99: number;
  /** Share of answers within the 500 ms budget. */
  withinBudget: number;
  queriesPerSecond: number;
  cacheHitRate: number;
  /** Means over computed (not cached) answers. */
  bytesReadPerQuery: number;
  pngBytesPerQuery: number;
  /** Whole-file views: bytes read over the float32 grid returned, and over the PNG. */
  zoomedOutReadOverGrid: number;
  zoomedOutReadOverPng: number;
  /** The half second whose answers were slowest on average (seconds from the first request, mean ms): where the tail comes from. */
  slowestHalfSecond: { fromS: number; meanMs: number };
}

interface Measure {
  think: Summary;
  saturated: Summary;
  loadAverage: number[];
}

function summarise(samples: readonly Sample[], durationMs: number, users: number): Summary {
  const ok = samples.filter((s) => s.status === 200);
  const sorted = samples.map((s) => (s.status === 200 ? s.ms : Infinity)).sort((a, b) => a - b); // a failed request counts as too slow
  const computed = ok.filter((s) => !s.hit);
  const mean = (values: number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
  const outer = computed.filter((s) => s.depth === 0 && s.gridBytes > 0);
  return {
    users, requests: samples.length, errors: samples.length - ok.length,
    errorsByStatus: samples.filter((s) => s.status !== 200).reduce<Record<number, number>>((by, s) => ({ ...by, [s.status]: (by[s.status] ?? 0) + 1 }), {}),
    p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
    withinBudget: samples.length === 0 ? NaN : ok.filter((s) => s.ms <= BUDGET_MS).length / samples.length,
    queriesPerSecond: ok.length / (durationMs / 1000),
    cacheHitRate: ok.length === 0 ? NaN : (ok.length - computed.length) / ok.length,
    bytesReadPerQuery: mean(computed.map((s) => s.bytesRead)),
    pngBytesPerQuery: mean(ok.map((s) => s.bytesReturned)),
    zoomedOutReadOverGrid: mean(outer.map((s) => s.bytesRead / s.gridBytes)),
    zoomedOutReadOverPng: mean(outer.map((s) => s.bytesRead / s.bytesReturned)),
    slowestHalfSecond: slowestHalfSecond(samples),
  };
}

function slowestHalfSecond(samples: readonly Sample[]): { fromS: number; meanMs: number } {
  const first = Math.min(...samples.map((s) => s.sentAt));
  const buckets = new Map<number, number[]>();
  for (const s of samples) {
    const k = Math.floor((s.sentAt - first) / 500);
    const bucket = buckets.get(k) ?? [];
    bucket.push(s.ms);
    buckets.set(k, bucket);
  }
  let worst = { fromS: NaN, meanMs: NaN };
  for (const [k, ms] of buckets) {
    const meanMs = ms.reduce((a, b) => a + b, 0) / ms.length;
    if (!(meanMs <= worst.meanMs)) worst = { fromS: k / 2, meanMs };
  }
  return worst;
}

const datasets = new Map<number, Promise<BenchDataset>>();
function dataset(options: BenchOptions): Promise<BenchDataset> {
  const { bytes } = shape(options);
  let found = datasets.get(bytes);
  if (found === undefined) datasets.set(bytes, (found = benchDataset(FILES, bytes)));
  return found;
}

const details: Record<string, Array<{ round: number } & Measure>> = {};

/** One system measured once per round; its rows read the same measurement. */
function system(name: SystemName, options: BenchOptions): Peer[] {
  const rounds = new Map<number, Promise<Measure>>();
  const { thinkMs, saturatedMs, bruteForceUsers } = shape(options);
  const users = name === 'brute-force' ? bruteForceUsers : USERS;
  const measure = (round: number): Promise<Measure> => {
    let found = rounds.get(round);
    if (found === undefined) {
      found = (async () => {
        const data = await dataset(options);
        const running = await startSystem(name, data);
        try {
          await warmUp(running.url, data.revision, round);
          const think = summarise(await thinkingUsers(running.url, data.revision, round, users, thinkMs), thinkMs, users);
          const saturated = summarise(await simulateUsers(running.url, data.revision, { users, durationMs: saturatedMs, thinkMs: [0, 0], seed: round + 101 }), saturatedMs, users);
          const result: Measure = { think, saturated, loadAverage: loadavg().map((l) => Number(l.toFixed(2))) };
          (details[name] ??= []).push({ round, ...result });
          report(name, round, result);
          writeDetails(options);
          return result;
        } finally {
          await running.close();
        }
      })();
      rounds.set(round, found);
    }
    return found;
  };
  const cluster = name.startsWith('cluster-');
  const row = (metric: string, pick: (m: Measure) => number, conditions?: () => Promise<string>): Peer => {
    let round = 0;
    return {
      system: name, metric, conditions,
      unavailable: cluster ? clusterUnavailable : undefined,
      run: async () => pick(await measure(round++)),
    };
  };
  const conditions = async (): Promise<string> => {
    const data = await dataset(options);
    const how = name === 'millrace' ? 'embedded, one query thread a core, level rule, 64 MiB cache'
      : name === 'brute-force' ? `embedded, base level only (no pyramid), no cache${users < USERS ? `; ${users} users, not ${USERS}: a subset, it is too slow for all` : ''}`
        : `RabbitMQ + PostgreSQL, server without query threads, ${name.slice('cluster-'.length)} × millrace worker --queries --threads 1, blobs a shared folder`;
    return `${FILES} files, ${(data.rawBytes / 1e9).toFixed(2)} GB of base grid, ${(data.storedBytes / 1e9).toFixed(2)} GB stored; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; users in the bench process over HTTP; ${how}`;
  };
  if (cluster) {
    return [
      row('ms per answer saturated: 1000 ÷ answers/s', (m) => 1000 / m.saturated.queriesPerSecond, conditions),
      row('p99, 100 thinking users', (m) => m.think.p99),
    ];
  }
  return [
    row('p50, thinking users', (m) => m.think.p50, conditions),
    row('p95, thinking users', (m) => m.think.p95),
    row('p99, thinking users', (m) => m.think.p99),
  ];
}

async function clusterUnavailable(): Promise<string | undefined> {
  for (const service of ['postgres', 'rabbitmq'] as const) if (!(await isServiceUp(service))) return `${service} is not reachable on 127.0.0.1`;
  return undefined;
}

function report(name: string, round: number, m: Measure): void {
  const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : 'failed');
  const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;
  const line = (label: string, s: Summary): string => `    ${name} round ${round + 1} ${label} (${s.users} users): p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}; ${s.queriesPerSecond.toFixed(1)} answers/s, ${s.errors} errors${s.errors > 0 ? ` (by status: ${Object.entries(s.errorsByStatus).map(([status, n]) => `${status} × ${n}`).join(', ')})` : ''}; ${pct(s.withinBudget)} within the ${BUDGET_MS} ms budget; cache hits ${pct(s.cacheHitRate)}; read ${(s.bytesReadPerQuery / 1e6).toFixed(2)} MB per computed answer, PNG ${(s.pngBytesPerQuery / 1e3).toFixed(0)} kB; ${Number.isFinite(s.zoomedOutReadOverGrid) ? `whole-file views read ${s.zoomedOutReadOverGrid.toFixed(2)}× the float32 grid returned (${s.zoomedOutReadOverPng.toFixed(1)}× the PNG)` : 'no whole-file view computed (all from the cache)'}; slowest half second from ${s.slowestHalfSecond.fromS.toFixed(1)} s, mean ${ms(s.slowestHalfSecond.meanMs)}`;
  console.log(line('thinking', m.think));
  console.log(line('saturated', m.saturated));
  const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');
  if (name === 'millrace') {
    console.log(`    targets: p99 ${ms(m.think.p99)} ≤ ${TARGETS.p99Ms} ms: ${verdict(m.think.p99 <= TARGETS.p99Ms)}; whole-file reads ${m.think.zoomedOutReadOverGrid.toFixed(2)}× ≤ ${TARGETS.zoomedOutReadOverGrid}×: ${verdict(m.think.zoomedOutReadOverGrid <= TARGETS.zoomedOutReadOverGrid)}; p99 within the ${BUDGET_MS} ms budget: ${verdict(m.think.p99 <= BUDGET_MS)}`);
  }
  const one = details['cluster-1']?.find((d) => d.round === round);
  const two = details['cluster-2']?.find((d) => d.round === round);
  if (name.startsWith('cluster-') && one !== undefined && two !== undefined) {
    const speedup = two.saturated.queriesPerSecond / one.saturated.queriesPerSecond;
    console.log(`    target: 2 workers give ${speedup.toFixed(2)}× the saturated answers/s of 1 (≥ ${TARGETS.clusterSpeedup}×): ${verdict(speedup >= TARGETS.clusterSpeedup)}`);
  }
}

function writeDetails(options: BenchOptions): void {
  const s = shape(options);
  writeFileSync(join(RESULTS_DIR, `queries-load${sizeSuffix(options)}.json`), `${JSON.stringify({ size: options.full === true ? 'full' : options.quick ? 'quick' : 'default', users: USERS, files: FILES, ...s, budgetMs: BUDGET_MS, targets: TARGETS, systems: details }, null, 2)}\n`);
}

export const queriesBenchmark: Benchmark = {
  name: 'queries',
  title: '512 × 512 heatmap latency for 100 users zooming and panning',
  unit: 'ms',
  higherIsBetter: false,
  workload: (options) => {
    const s = shape(options);
    return `${FILES} files, ${(s.bytes / 1e9).toFixed(1)} GB of base grid; ${USERS} users thinking 0.5–1.5 s for ${s.thinkMs / 1000} s, then saturated for ${s.saturatedMs / 1000} s`;
  },
  peers: (options) => [...system('millrace', options), ...system('brute-force', options), ...system('cluster-1', options), ...system('cluster-2', options)],
  ratios: [['brute-force', 'millrace'], ['cluster-1', 'cluster-2']],
  runTimeoutMs: (options) => (options.full === true ? 3_600_000 : options.quick ? 600_000 : 1_200_000),
};
