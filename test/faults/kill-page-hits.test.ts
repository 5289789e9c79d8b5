/**
 * Fault: the whole engine (orchestrator, queue, workers) is SIGKILLed at 5
 * seeded random moments of a page-hits run and restarted each time. The
 * moments are points of the work (a number of completed tasks, then 0–40 ms
 * more), so all five land however fast the machine is at the time. The
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

/**
 * Runs the engine; with `kill`, SIGKILLs it `kill.afterMs` after the process
 * has `kill.atCompleted` completed tasks (counting its whole history).
 * Reports the completed count it was killed at, or the task total when done.
 */
function runChild(args: string[], kill?: { atCompleted: number; afterMs: number }): Promise<{ outcome: 'done' | 'killed'; completed: number; tasks?: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let completed = 0;
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const match of stdout.matchAll(/^completed (\d+)$/gm)) completed = Math.max(completed, Number(match[1]));
      if (kill !== undefined && timer === undefined && completed >= kill.atCompleted) timer = setTimeout(() => proc.kill('SIGKILL'), kill.afterMs);
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      const done = /^done tasks=(\d+)$/m.exec(stdout);
      if (done !== null) resolve({ outcome: 'done', completed, tasks: Number(done[1]) });
      else if (signal === 'SIGKILL') resolve({ outcome: 'killed', completed });
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
    assert.ok(clean.tasks !== undefined && clean.tasks >= 20, `page-hits ran ${clean.tasks} tasks; the kills need room`);
    const random = seededRandom(SEED);
    // Five points of the work, spread over 5–85 % of the process's tasks (the maps, then the reduces), each
    // kill landing 0–40 ms after its point: aimed at the work, not the clock, so a machine faster or slower
    // than during the clean run still gets all five, and every restart has work left to resume.
    const tasks = clean.tasks!;
    const points = new Set<number>();
    while (points.size < KILLS) points.add(Math.max(1, Math.round((0.05 + 0.8 * random()) * tasks)));
    const outcomes: string[] = [];
    for (const atCompleted of [...points].sort((a, b) => a - b)) {
      const afterMs = Math.floor(40 * random());
      const run = await runChild([dir.file('faulty'), dir.file('access.log'), 'faulty-run', dir.file('faulty.csv')], { atCompleted, afterMs });
      outcomes.push(run.outcome === 'killed' ? `killed@${run.completed}/${tasks}+${afterMs}ms` : 'done');
      if (run.outcome === 'done') break;
    }
    if (!outcomes.at(-1)!.startsWith('done')) {
      assert.equal((await runChild([dir.file('faulty'), dir.file('access.log'), 'faulty-run', dir.file('faulty.csv')])).outcome, 'done');
      outcomes.push('done');
    }
    process.stdout.write(`# kill-page-hits: seed=${SEED} tasks=${clean.tasks} runs=${outcomes.join(',')}\n`);
    assert.equal(outcomes.filter((o) => o.startsWith('killed@')).length, KILLS, `the engine was killed ${KILLS} times while the process ran (${outcomes.join(', ')})`);
    assert.ok(readFileSync(dir.file('faulty.csv')).equals(readFileSync(dir.file('clean.csv'))), 'the CSV after kills equals the fault-free CSV byte for byte');
  });
});
