/**
 * Fault: the whole engine (orchestrator, queue, workers) is SIGKILLed at 5
 * seeded random moments of a page-hits run and restarted each time. The
 * final CSV must be byte-identical to a fault-free run's.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { generateLogs } from '../../examples/page-hits/index.js';
import { seededRandom } from '../../src/core/seeded-random.js';

const child = new URL('./page-hits-child.ts', import.meta.url).pathname;
const SEED = Number(process.env.MILLRACE_FAULT_SEED ?? 11);
const KILLS = 5;

/** Runs the engine; with `killAfterMs`, SIGKILLs it that long after the process is running. Reports how long it ran. */
function runChild(args: string[], killAfterMs?: number): Promise<{ outcome: 'done' | 'killed'; runningMs: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let runningSince: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (runningSince === undefined && stdout.includes('running')) {
        runningSince = Date.now();
        if (killAfterMs !== undefined) timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      const runningMs = runningSince === undefined ? 0 : Date.now() - runningSince;
      if (stdout.includes('done')) resolve({ outcome: 'done', runningMs });
      else if (signal === 'SIGKILL') resolve({ outcome: 'killed', runningMs });
      else reject(new Error(`engine exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('fault: SIGKILL of the engine during page-hits', () => {
  let dir: TempDir;
  before(async () => {
    dir = createTempDir('millrace-kill-page-hits-');
    await generateLogs(dir.file('access.log'), 6_000_000, 3);
  });
  after(() => dir.remove());

  it('finishes after 5 kills with output byte-identical to a fault-free run', async () => {
    const clean = await runChild([dir.file('clean'), dir.file('access.log'), 'clean-run', dir.file('clean.csv')]);
    assert.equal(clean.outcome, 'done');
    const random = seededRandom(SEED);
    const outcomes: string[] = [];
    // Five moments spread over 5–85 % of a clean run's time, taken as the run's running time adds up across
    // restarts: the kills reach every phase (map, reduce, finalize), and all five land before the work runs
    // out, since each kill also throws away the work in flight.
    const moments = Array.from({ length: KILLS }, () => (0.05 + 0.8 * random()) * Math.max(200, clean.runningMs)).sort((a, b) => a - b);
    for (let kill = 0; kill < KILLS; kill++) {
      const at = Math.max(30, Math.floor(moments[kill]! - (moments[kill - 1] ?? 0)));
      const run = await runChild([dir.file('faulty'), dir.file('access.log'), 'faulty-run', dir.file('faulty.csv')], at);
      outcomes.push(`${run.outcome}@${at}ms`);
      if (run.outcome === 'done') break;
    }
    if (!outcomes.at(-1)!.startsWith('done')) {
      assert.equal((await runChild([dir.file('faulty'), dir.file('access.log'), 'faulty-run', dir.file('faulty.csv')])).outcome, 'done');
      outcomes.push('done');
    }
    process.stdout.write(`# kill-page-hits: seed=${SEED} cleanRunMs=${clean.runningMs} runs=${outcomes.join(',')}\n`);
    assert.equal(outcomes.filter((o) => o.startsWith('killed@')).length, KILLS, `the engine was killed ${KILLS} times while the process ran (${outcomes.join(', ')})`);
    assert.ok(readFileSync(dir.file('faulty.csv')).equals(readFileSync(dir.file('clean.csv'))), 'the CSV after kills equals the fault-free CSV byte for byte');
  });
});
