/**
 * `npm run faults -- [--runs N] [--seed S] [--scale small|large] [--report] [files…]`:
 * runs every fault scenario (`test/faults/scenario-*.test.ts`, or the files
 * given) N times with successive seeds, at the large scale by default.
 * Each scenario prints its standard line (seed, faults injected, lost,
 * duplicated, unexpected, detected) and appends it to a results file this
 * runner reads back; per run it prints those lines and the outcome, then
 * the totals per scenario. With `--report` the totals table is written
 * into docs/reliability.md between its markers.
 *
 * A failing run repeats exactly with its seed:
 * `MILLRACE_FAULT_SEED=<seed> MILLRACE_FAULT_SCALE=large node scripts/run-tests.mjs <file>`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatResult, type ScenarioResult } from './harness/scenario.js';
import { summarise, writeReport } from './harness/report.js';

const { values, positionals } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    scale: { type: 'string', default: 'large' },
    report: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const runs = Number(values.runs);
const base = Number(values.seed);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(base)) throw new Error(`--seed must be an integer, got ${values.seed}`);
if (values.scale !== 'small' && values.scale !== 'large') throw new Error(`--scale must be small or large, got ${values.scale}`);
const here = new URL('.', import.meta.url).pathname;
const targets = positionals.length > 0
  ? positionals
  : readdirSync(here).filter((name) => /^scenario-\d+-.+\.test\.ts$/.test(name)).sort().map((name) => join(here, name));

const work = mkdtempSync(join(tmpdir(), 'millrace-faults-run-'));
const results: ScenarioResult[] = [];
const failedSeeds: number[] = [];
const started = Date.now();
try {
  for (let run = 0; run < runs; run++) {
    const seed = base + run;
    const sink = join(work, `run-${run}.jsonl`);
    const runStarted = Date.now();
    const child = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...targets], {
      env: { ...process.env, MILLRACE_FAULT_SEED: String(seed), MILLRACE_FAULT_SCALE: values.scale, MILLRACE_FAULT_RESULTS: sink, MILLRACE_TEST_TIMEOUT_MS: '900000' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const output = `${child.stdout}${child.stderr}`;
    const lines = existsSync(sink) ? readFileSync(sink, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ScenarioResult) : [];
    results.push(...lines);
    const failed = /^# fail (\d+)$/m.exec(output)?.[1];
    const passed = child.status === 0;
    process.stdout.write(`run ${run + 1}/${runs} seed=${seed} ${passed ? 'passed' : 'FAILED'} fail=${failed ?? '?'} ${((Date.now() - runStarted) / 1000).toFixed(0)}s\n`);
    for (const line of lines) process.stdout.write(`  ${formatResult(line)}\n`);
    if (!passed) {
      failedSeeds.push(seed);
      process.stdout.write(output.split('\n').filter((line) => /^\s*not ok|error:|expected|actual|Error/.test(line)).slice(0, 30).join('\n') + '\n');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const summary = summarise(results, { runs, passedRuns: runs - failedSeeds.length, firstSeed: base, scale: values.scale, seconds: Math.round((Date.now() - started) / 1000) });
process.stdout.write(`${summary.text}\n${runs - failedSeeds.length}/${runs} runs passed${failedSeeds.length > 0 ? `; failing seeds: ${failedSeeds.join(', ')}` : ''}\n`);
if (values.report) {
  writeReport(new URL('../../docs/reliability.md', import.meta.url).pathname, summary.markdown);
  process.stdout.write('docs/reliability.md updated\n');
}
process.exitCode = failedSeeds.length === 0 ? 0 : 1;
