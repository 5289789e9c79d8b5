/**
 * @module bench/run
 * `npm run bench -- [name] [--runs N] [--quick | --full]`: runs one benchmark, or all
 * of them and then writes `bench/results/summary.md`. See bench/README.md.
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../src/core/errors.js';
import { runBenchmark, writeSummary } from './harness.js';
import type { BenchOptions, BenchReport, Benchmark } from './harness.js';
import { dagBenchmark } from './dag.bench.js';
import { queueClusterBenchmark } from './queue-cluster.bench.js';
import { mapreduceBenchmark } from './mapreduce.bench.js';
import { queueBenchmark } from './queue.bench.js';
import { queriesBenchmark } from './queries.bench.js';
import { streamsBenchmark } from './streams.bench.js';

const BENCHMARKS: readonly Benchmark[] = [queueBenchmark, queueClusterBenchmark, dagBenchmark, mapreduceBenchmark, streamsBenchmark, queriesBenchmark];

const USAGE = `usage: npm run bench -- [name] [--runs N] [--quick | --full]
  name       one of: ${BENCHMARKS.map((b) => b.name).join(', ')} (default: all, and write bench/results/summary.md)
  --runs N   measured runs per system, median reported (default 5)
  --quick    a smaller workload (fewer messages or tasks)
  --full     the issue's full size, where a benchmark has one (queries: 4 GB of data, generated once)`;

/** How long the process may linger after the work is done before it is told to exit. */
const EXIT_GRACE_MS = 10_000;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { runs: { type: 'string' }, quick: { type: 'boolean', default: false }, full: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    console.error(`bench: ${messageOf(error).split('. ')[0]} (see --help)`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const runs = values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
    console.error(`bench: --runs must be a whole number from 1 to 1000, not "${values.runs}"`);
    return 2;
  }
  if (positionals.length > 1) {
    console.error(`bench: one benchmark at a time, or none for all (got ${positionals.join(', ')})`);
    return 2;
  }
  if (values.quick && values.full) {
    console.error('bench: --quick or --full, not both');
    return 2;
  }
  const options: BenchOptions = { runs, quick: values.quick, full: values.full };

  const name = positionals[0];
  if (name !== undefined) {
    const benchmark = BENCHMARKS.find((b) => b.name === name);
    if (benchmark === undefined) {
      console.error(`bench: unknown benchmark "${name}"; available: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
      return 2;
    }
    const report = await runBenchmark(benchmark, options);
    return report.failed ? 1 : 0;
  }

  const reports: BenchReport[] = [];
  for (const benchmark of BENCHMARKS) reports.push(await runBenchmark(benchmark, options));
  console.log(`\nsummary written to ${writeSummary(reports, options)}`);
  return reports.some((r) => r.failed) ? 1 : 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
// Every peer closes what it opens, so the process should end on its own; if
// a driver leaves a handle open, say so and end anyway rather than hang.
setTimeout(() => {
  console.error('bench: a handle is still open after the last benchmark; exiting');
  process.exit();
}, EXIT_GRACE_MS).unref();
