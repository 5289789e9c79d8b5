/**
 * @module bench/harness
 * Runs a benchmark's peers side by side and reports them the same way every
 * time: one row per system (median, min, max over N runs), ratios between
 * rows, a table on stdout, `bench/results/<name>.json`, and the summary.
 *
 * Runs are interleaved (round 1 of every peer, then round 2, ...) and the
 * order rotates each round, so a slow minute on the machine, or a peer's
 * background clean-up (a WAL checkpoint, a Redis eviction), falls on every
 * row alike instead of on whichever ran last. Every run has a deadline, so a
 * benchmark always ends by itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '../src/core/errors.js';

/** How a benchmark is run. */
export interface BenchOptions {
  /** Measured runs per peer. @defaultValue 5 */
  runs: number;
  /** A smaller workload, for a quick look or CI. @defaultValue false */
  quick: boolean;
  /** The issue's full size, where a benchmark has one larger than its default (queries: 4 GB). @defaultValue false */
  full?: boolean;
}

/** One system measured by a benchmark: one row of its table. */
export interface Peer {
  /** Plain name of the system: `millrace`, `bullmq`, `sqlite-ceiling`. */
  system: string;
  /** What is measured, when a benchmark reports more than one figure per system. */
  metric?: string;
  /** Why this peer cannot run here (a service down, a module missing), or `undefined`. */
  unavailable?: () => Promise<string | undefined>;
  /** Conditions a reader needs to weigh this row (durability settings, versions), printed with the results. */
  conditions?: () => Promise<string>;
  /**
   * One measured run, returning a figure in the benchmark's unit. On abort
   * (the run's deadline) it should release what it holds and reject.
   */
  run: (signal: AbortSignal) => Promise<number>;
}

/** A benchmark: a workload and the peers that run it. */
export interface Benchmark {
  name: string;
  /** One line: what is measured. */
  title: string;
  unit: string;
  /** True for rates (more is better), false for latencies and sizes. */
  higherIsBetter: boolean;
  /** The workload in words, for the table heading (`'50,000 messages, concurrency 100'`). */
  workload: (options: BenchOptions) => string;
  peers: (options: BenchOptions) => Peer[];
  /** Ratios reported as `numerator/denominator`, by system name. */
  ratios: ReadonlyArray<readonly [numerator: string, denominator: string]>;
  /** Deadline of one run. */
  runTimeoutMs: (options: BenchOptions) => number;
}

/** One row of `bench/results/<name>.json`. */
export interface ResultRow {
  system: string;
  metric?: string;
  median: number;
  min: number;
  max: number;
}

/** The shape of `bench/results/<name>.json`. */
export interface BenchResult {
  name: string;
  unit: string;
  runs: number;
  results: ResultRow[];
  ratios: Record<string, number>;
}

/** A result plus what the JSON does not carry: the heading and why rows are missing. */
export interface BenchReport {
  result: BenchResult;
  heading: string;
  notes: string[];
  /** True when a peer failed (rather than being unavailable). */
  failed: boolean;
}

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** `-full` or `-quick` in a results file's name: a run at another size never overwrites the default size's record. */
export function sizeSuffix(options: BenchOptions): string {
  return options.full === true ? '-full' : options.quick ? '-quick' : '';
}

/** How long a timed-out run may take to release its resources before it is abandoned. */
const ABORT_GRACE_MS = 10_000;

/**
 * Runs every available peer `options.runs` times, prints the table and
 * writes `bench/results/<name>.json` (`<name>-full.json`, `<name>-quick.json` at those sizes).
 */
export async function runBenchmark(benchmark: Benchmark, options: BenchOptions): Promise<BenchReport> {
  const heading = `${benchmark.name}: ${benchmark.title} — ${benchmark.workload(options)}; ${benchmark.unit}, ${benchmark.higherIsBetter ? 'higher' : 'lower'} is better; median of ${options.runs} run${options.runs === 1 ? '' : 's'}; Node ${process.version}${nodeFlags()}`;
  console.log(`\n${heading}`);
  const notes: string[] = [];
  let failed = false;

  const peers: Peer[] = [];
  for (const peer of benchmark.peers(options)) {
    const reason = await peer.unavailable?.();
    if (reason === undefined) {
      peers.push(peer);
      const conditions = await peer.conditions?.();
      if (conditions !== undefined) {
        notes.push(`${label(peer)}: ${conditions}`);
        console.log(`  ${label(peer)}: ${conditions}`);
      }
    } else {
      notes.push(`${peer.system} skipped: ${reason}`);
      console.log(`  ${peer.system} skipped: ${reason}`);
    }
  }

  const samples = new Map<Peer, number[]>(peers.map((peer) => [peer, []]));
  const timeoutMs = benchmark.runTimeoutMs(options);
  for (let round = 0; round < options.runs; round++) {
    const active = peers.filter((peer) => samples.has(peer));
    const rotated = active.map((_, i) => active[(i + round) % active.length]!);
    for (const peer of rotated) {
      try {
        const value = await runWithDeadline(peer, timeoutMs);
        samples.get(peer)!.push(value);
        console.log(`  run ${round + 1}/${options.runs} ${label(peer)}: ${formatNumber(value)} ${benchmark.unit}`);
      } catch (error) {
        failed = true;
        samples.delete(peer);
        notes.push(`${label(peer)} failed: ${messageOf(error)}`);
        console.log(`  ${label(peer)} failed on run ${round + 1}: ${messageOf(error)}`);
      }
    }
  }

  const results = [...samples].map(([peer, values]) => ({ system: peer.system, ...(peer.metric === undefined ? {} : { metric: peer.metric }), ...stats(values) }));
  const ratios: Record<string, number> = {};
  for (const [numerator, denominator] of benchmark.ratios) {
    const top = results.find((r) => r.system === numerator);
    const bottom = results.find((r) => r.system === denominator);
    if (top !== undefined && bottom !== undefined && bottom.median !== 0) ratios[`${numerator}/${denominator}`] = round(top.median / bottom.median, 3);
  }
  const result: BenchResult = { name: benchmark.name, unit: benchmark.unit, runs: options.runs, results, ratios };
  console.log(`\n${formatTables(result)}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${benchmark.name}${sizeSuffix(options)}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return { result, heading, notes, failed };
}

/** Writes `bench/results/summary.md` (`summary-quick.md`, `summary-full.md` at other sizes) from the reports of a run of every benchmark. */
export function writeSummary(reports: readonly BenchReport[], options: BenchOptions): string {
  const cpu = cpus();
  const lines = [
    '# Benchmark summary',
    '',
    `${new Date().toISOString()} — ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}${nodeFlags()}${options.quick ? ', quick mode' : ''}.`,
    'Ratios divide medians: above 1 means the numerator did more (for rates) or took more (for latencies). See bench/README.md.',
  ];
  for (const report of reports) {
    lines.push('', `## ${report.result.name}`, '', report.heading, '', formatTables(report.result));
    if (report.notes.length > 0) lines.push('', ...report.notes.map((note) => `- ${note}`));
  }
  const path = join(RESULTS_DIR, `summary${sizeSuffix(options)}.md`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** The result as Markdown tables: rows, then ratios. */
export function formatTables(result: BenchResult): string {
  const rows = result.results.map((r) => [r.metric === undefined ? r.system : `${r.system} (${r.metric})`, formatNumber(r.median), formatNumber(r.min), formatNumber(r.max)]);
  const lines = table(['system', `median ${result.unit}`, 'min', 'max'], rows.length > 0 ? rows : [['(no rows)', '', '', '']]);
  const ratios = Object.entries(result.ratios).map(([name, value]) => [name, value.toFixed(3)]);
  if (ratios.length > 0) lines.push('', ...table(['ratio', 'value'], ratios));
  return lines.join('\n');
}

/** Median, min and max of at least one value. */
export function stats(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median: roundFigure(median), min: roundFigure(sorted[0]!), max: roundFigure(sorted[sorted.length - 1]!) };
}

/** One decimal, or three significant digits for figures below 100 (0.54 s must not become 0.5 before ratios are taken). */
function roundFigure(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return round(value, Math.max(1, 3 - Math.floor(Math.log10(Math.abs(value)))));
}

async function runWithDeadline(peer: Peer, timeoutMs: number): Promise<number> {
  const controller = new AbortController();
  const running = peer.run(controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([running, deadline]);
    if (outcome !== 'timeout') return outcome;
  } finally {
    clearTimeout(timer);
  }
  controller.abort(new Error(`run exceeded ${timeoutMs / 1000} s`));
  // Give the peer a moment to close its connections, so the next peer is not
  // measured against its leftovers; past that it is abandoned.
  const grace = new Promise<void>((resolve) => setTimeout(resolve, ABORT_GRACE_MS).unref());
  await Promise.race([running.catch(() => undefined), grace]);
  throw new Error(`run exceeded its deadline of ${timeoutMs / 1000} s`);
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)];
}

function label(peer: Peer): string {
  return peer.metric === undefined ? peer.system : `${peer.system} (${peer.metric})`;
}

function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: value >= 100 ? 0 : 2 });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** The V8 and Node flags the benchmarks run under (module loaders left out): every row in the process shares them. */
function nodeFlags(): string {
  const flags = process.execArgv.filter((flag, i, all) => flag !== '--import' && all[i - 1] !== '--import');
  return flags.length === 0 ? '' : ` (${flags.join(' ')})`;
}
