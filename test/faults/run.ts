/**
 * `npm run faults -- [--runs N] [--seed S] [files…]`: runs the fault tests
 * N times, each with its own seed (`MILLRACE_FAULT_SEED`, which the seeded
 * scenarios read), and prints per run its seed and outcome, then the
 * totals. A failing run can be repeated exactly with its seed:
 * `MILLRACE_FAULT_SEED=<seed> node scripts/run-tests.mjs <file>`.
 * `npm test` runs each scenario once with its default seed.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, seed: { type: 'string', default: String(Date.now() % 100_000) } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const base = Number(values.seed);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(base)) throw new Error(`--seed must be an integer, got ${values.seed}`);
const targets = positionals.length > 0 ? positionals : ['test/faults'];

const failedSeeds: number[] = [];
for (let run = 0; run < runs; run++) {
  const seed = base + run;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...targets], {
    env: { ...process.env, MILLRACE_FAULT_SEED: String(seed) },
    encoding: 'utf8',
  });
  const output = `${result.stdout}${result.stderr}`;
  const count = (label: string): string => new RegExp(`^# ${label} (\\d+)$`, 'm').exec(output)?.[1] ?? '?';
  const faults = [...output.matchAll(/^# \\?# (.+)$/gm)].map((m) => m[1]).join(' | ');
  process.stdout.write(`run ${run + 1}/${runs} seed=${seed} ${result.status === 0 ? 'passed' : 'FAILED'} tests=${count('tests')} fail=${count('fail')} ${((Date.now() - started) / 1000).toFixed(0)}s${faults === '' ? '' : `  [${faults}]`}\n`);
  if (result.status !== 0) {
    failedSeeds.push(seed);
    process.stdout.write(output.split('\n').filter((line) => /^not ok|error:|expected|actual/.test(line.trim())).slice(0, 20).join('\n') + '\n');
  }
}
process.stdout.write(`${runs - failedSeeds.length}/${runs} runs passed${failedSeeds.length > 0 ? `; failing seeds: ${failedSeeds.join(', ')}` : ''}\n`);
process.exitCode = failedSeeds.length === 0 ? 0 : 1;
