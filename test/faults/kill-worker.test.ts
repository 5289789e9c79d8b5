/**
 * Fault: a worker process is SIGKILLed with tasks queued and in flight,
 * then restarted. Counts lost tasks (expect 0), checks every task
 * completed, and reports redeliveries and duplicate effects (at-least-once
 * delivery allows a task to run twice; its result is applied once).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const TASKS = 2000;
const tasksModule = new URL('./fault-tasks.ts', import.meta.url).href;
const childScript = new URL('./worker-child.ts', import.meta.url).pathname;

describe('fault: SIGKILL of a worker process mid-run', () => {
  let dir: TempDir;
  let millrace: Millrace;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = createTempDir('millrace-fault-');
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await millrace.close();
    dir.remove();
  });

  it('loses no task: every task completes after a restart, redeliveries reported', async () => {
    const ledger = dir.file('ledger.txt');
    const inputs = Array.from({ length: TASKS }, () => ({ ledger, delayMs: 2 }));
    const batch = millrace.runTasks<unknown, { recorded: string }>('record', inputs, { batchId: 'fault' });

    const first = await startWorker(dir.path, children);
    await waitFor(() => effects(ledger).length >= TASKS / 4, 60_000);
    const inFlightAtKill = (await millrace.queue.stats('tasks')).inFlight;
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const effectsAtKill = effects(ledger).length;

    await startWorker(dir.path, children);
    const report = await batch;

    const recorded = effects(ledger);
    const distinct = new Set(recorded.map((line) => line.split(' ')[0]));
    const lost = TASKS - report.results.filter((r) => r.ok).length;
    const stats = await millrace.queue.stats('tasks');
    process.stdout.write(`# kill-worker: tasks=${TASKS} inFlightAtKill=${inFlightAtKill} effectsAtKill=${effectsAtKill} lost=${lost} ` +
      `effects=${recorded.length} distinctEffects=${distinct.size} duplicateEffects=${recorded.length - distinct.size} ` +
      `redelivered=${stats.redelivered} duplicateResultsDropped=${report.duplicatesDropped}\n`);

    assert.equal(lost, 0, 'every task has a successful result');
    assert.equal(distinct.size, TASKS, 'every task had its effect');
    assert.ok(effectsAtKill < TASKS, 'the kill happened mid-run');
    assert.ok(inFlightAtKill > 0, 'tasks were in flight at the kill');
    assert.ok(stats.redelivered > 0, 'the tasks held by the killed worker were redelivered');
    assert.deepEqual({ ready: stats.ready, inFlight: stats.inFlight, deadLettered: stats.deadLettered }, { ready: 0, inFlight: 0, deadLettered: 0 });
  });
});

function effects(ledger: string): string[] {
  if (!existsSync(ledger)) return [];
  return readFileSync(ledger, 'utf8').split('\n').filter((line) => line.length > 0);
}

async function startWorker(dataDir: string, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, tasksModule], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => line === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
  return child;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
