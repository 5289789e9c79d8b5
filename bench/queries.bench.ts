/**
 * @module bench/queries
 * Zoom-and-pan heatmaps for many users over a generated dataset
 * (docs/queries.md, issue 6). 100 users each pick a file and walk through
 * it: zoom in 2–4×, pan, zoom out (back to a view seen before), asking for
 * a 512 × 512 PNG each time and thinking 0.5–1.5 s between answers; then
 * the same users with no think time (saturation).
 *
 * ```
 *  users (this process) ──app.inject──▶ routes ─▶ QueryService ─▶ memory queue ─▶ TaskWorker ─▶ threads
 *  rows: millrace        the level rule, cache on
 *        brute-force     every query at the base level (all cells within bounds: no pyramid), no cache
 * ```
 *
 * Rows are latency percentiles of the thinking users (ms). Throughput,
 * bytes read against bytes returned, cache hit rate and the saturation
 * run are printed and written to bench/results/queries-load.json.
 *
 * Scaled down: 20 files of 20 MB of base grid (400 MB; ~2.6 GB stored with
 * the pyramid), 20 s of thinking users and 10 s saturated (`--quick`: 100 MB,
 * 8 s and 4 s). The 4 GB: MILLRACE_BENCH_QUERIES_BYTES=4GB (about
 * 26 GB on disk and ten minutes to generate). The users run in the same
 * process as the server, so their own work shares its two cores.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchOptions, Peer } from './harness.js';
import { RESULTS_DIR } from './harness.js';
import { benchDataset, percentile, simulateUsers, startSystem, type BenchDataset, type Sample } from './queries-load.js';

const FILES = 20;
const USERS = 100;

interface Measure {
  think: Summary;
  saturated: Summary;
}

interface Summary {
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  queriesPerSecond: number;
  cacheHitRate: number;
  /** Mean over computed answers. */
  bytesReadPerQuery: number;
  pngBytesPerQuery: number;
  gridBytesPerQuery: number;
  /** Whole-file views: bytes read over the float32 grid returned, and over the PNG. */
  zoomedOutReadOverGrid: number;
  zoomedOutReadOverPng: number;
}

function totalBytes(options: BenchOptions): number {
  const env = process.env.MILLRACE_BENCH_QUERIES_BYTES;
  if (env !== undefined) {
    const match = /^(\d+(?:\.\d+)?)(MB|GB)$/i.exec(env);
    if (match === null) throw new Error(`MILLRACE_BENCH_QUERIES_BYTES must look like 400MB or 4GB, not ${env}`);
    return Number(match[1]) * (match[2]!.toUpperCase() === 'GB' ? 1e9 : 1e6);
  }
  return options.quick ? 100e6 : 400e6;
}

function durations(options: BenchOptions): { think: number; saturated: number } {
  return options.quick ? { think: 8_000, saturated: 4_000 } : { think: 20_000, saturated: 10_000 };
}

function summarise(samples: readonly Sample[], durationMs: number): Summary {
  const ok = samples.filter((s) => s.status === 200);
  const sorted = ok.map((s) => s.ms).sort((a, b) => a - b);
  const computed = ok.filter((s) => !s.hit);
  const mean = (values: number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
  const outer = computed.filter((s) => s.depth === 0);
  return {
    requests: samples.length,
    errors: samples.length - ok.length,
    p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
    queriesPerSecond: ok.length / (durationMs / 1000),
    cacheHitRate: ok.length === 0 ? NaN : (ok.length - computed.length) / ok.length,
    bytesReadPerQuery: mean(computed.map((s) => s.bytesRead)),
    pngBytesPerQuery: mean(ok.map((s) => s.bytesReturned)),
    gridBytesPerQuery: mean(ok.map((s) => s.gridBytes)),
    zoomedOutReadOverGrid: mean(outer.map((s) => s.bytesRead / s.gridBytes)),
    zoomedOutReadOverPng: mean(outer.map((s) => s.bytesRead / s.bytesReturned)),
  };
}

/** One system measured once per round; its three rows read the same measurement. */
function system(name: 'millrace' | 'brute-force', options: BenchOptions): Peer[] {
  let dataset: Promise<BenchDataset> | undefined;
  const rounds = new Map<number, Promise<Measure>>();
  const details: Array<{ round: number } & Measure> = [];
  const measure = (round: number): Promise<Measure> => {
    let found = rounds.get(round);
    if (found === undefined) {
      found = (async () => {
        dataset ??= benchDataset(FILES, totalBytes(options));
        const data = await dataset;
        const running = await startSystem(data, name === 'millrace' ? {} : { cacheBytes: 0, forceLevel: { rt: 0, mz: 0 } });
        try {
          const { think, saturated } = durations(options);
          const thinking = summarise(await simulateUsers(running, data.revision, { users: USERS, durationMs: think, thinkMs: [500, 1500], seed: round + 1 }), think);
          const busy = summarise(await simulateUsers(running, data.revision, { users: USERS, durationMs: saturated, thinkMs: [0, 0], seed: round + 101 }), saturated);
          const result = { think: thinking, saturated: busy };
          details.push({ round, ...result });
          console.log(`    ${name} round ${round + 1}: thinking ${JSON.stringify(thinking)}\n    ${name} round ${round + 1}: saturated ${JSON.stringify(busy)}`);
          writeDetails(name, details, options);
          return result;
        } finally {
          await running.close();
        }
      })();
      rounds.set(round, found);
    }
    return found;
  };
  return (['p50', 'p95', 'p99'] as const).map((metric) => {
    let round = 0;
    return {
      system: name,
      metric: `${metric}, 100 thinking users`,
      conditions: metric === 'p50' ? async () => {
        const data = await (dataset ??= benchDataset(FILES, totalBytes(options)));
        return `${FILES} files, ${(data.rawBytes / 1e6).toFixed(0)} MB of base grid, ${(data.storedBytes / 1e9).toFixed(2)} GB stored with levels; ${cpus().length} cores; users in-process via app.inject; ${name === 'millrace' ? 'level rule, 64 MiB cache' : 'base level only, no cache'}`;
      } : undefined,
      run: async () => (await measure(round++))[`think`][metric],
    } satisfies Peer;
  });
}

const written = new Map<string, unknown>();
function writeDetails(name: string, details: unknown, options: BenchOptions): void {
  written.set(name, details);
  writeFileSync(join(RESULTS_DIR, 'queries-load.json'), `${JSON.stringify({ quick: options.quick, users: USERS, files: FILES, bytes: totalBytes(options), systems: Object.fromEntries(written) }, null, 2)}\n`);
}

export const queriesBenchmark: Benchmark = {
  name: 'queries',
  title: '512 × 512 heatmap latency for 100 users zooming and panning',
  unit: 'ms',
  higherIsBetter: false,
  workload: (options) => `${FILES} files, ${(totalBytes(options) / 1e6).toFixed(0)} MB of base grid; ${USERS} users thinking 0.5–1.5 s for ${durations(options).think / 1000} s, then saturated for ${durations(options).saturated / 1000} s`,
  peers: (options) => [...system('millrace', options), ...system('brute-force', options)],
  ratios: [['brute-force', 'millrace']],
  runTimeoutMs: (options) => (options.quick ? 600_000 : 1_800_000),
};
