/**
 * Scenario 10 — poison tasks.
 * Injects: three processes each with one task that never succeeds: it
 * throws, it crashes its worker thread, or it SIGKILLs its worker process
 * (every delivery; the dead process is replaced each time). Alongside, a
 * healthy fan-out process runs on the same workers.
 * Pass: each poison process ends `failed` with the failure that names the
 * cause — after its step's retries for a throw or a thread crash, after the
 * queue's delivery limit for a process crash (the task is dead-lettered and
 * its process told, whose step policy then decides) — and the healthy
 * process completes with 0 lost and 0 duplicated effects, though its tasks
 * in flight on a crashed worker are retried (and may themselves reach the
 * delivery limit, be dead-lettered and retried by the process).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMillrace } from '../../src/runtime/millrace.js';
import { defineProcess } from '../../src/jobs/process-definition.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';
import { WorkerSupervisor } from './harness/worker-supervisor.js';
import type { EffectInput } from './scenario-tasks.js';

const tasksModule = new URL('./scenario-tasks.ts', import.meta.url).href;
const RETRIES = 3;

/** One task that never succeeds. A dead-lettered task is retried by the step's policy too: the process killer gets one attempt (10 deliveries), so as not to spend a minute restarting workers. */
const poisoned = (task: string, maxAttempts = RETRIES) => defineProcess<{ ledger: string }>(`fault-${task}`, 1, (p) => {
  p.task('only', { task, input: ({ input }) => ({ ledger: input.ledger, key: task }), retry: { maxAttempts, initialDelayMs: 10, jitter: 'none' } });
});
const healthy = defineProcess<{ ledger: string; n: number }>('fault-healthy', 1, (p) => {
  // A thread crash fails every run on that thread: the healthy tasks it takes down are retried.
  p.batch('effect', { task: 'ledger-effect', retry: { maxAttempts: 10, initialDelayMs: 10 }, items: ({ input }): EffectInput[] => Array.from({ length: input.n }, (_, i) => ({ ledger: input.ledger, key: `effect-${i}`, delayMs: 2 })) });
  p.output(({ outputs }) => outputs.effect as string[]);
});

describe('scenario 10: poison tasks', () => {
  const run = startScenario('10-poison-task');
  after(() => run.close());

  it('dead-letters or fails each poison task, fails its process cleanly, and other work completes', { timeout: 600_000 }, async () => {
    const n = run.size(300, 3_000);
    const millrace = await createMillrace({ dataDir: run.dir.file('data'), threads: 1, logLevel: 'silent' });
    const workers = new WorkerSupervisor(run.dir.file('data'), tasksModule);
    try {
      await workers.start();
      const poisons = ['poison-throw', 'poison-thread', 'poison-process'];
      const ended = poisons.map((task) => millrace.runProcess(poisoned(task, task === 'poison-process' ? 1 : RETRIES), { ledger: run.ledgerPath }));
      const good = await millrace.runProcess(healthy, { ledger: run.ledgerPath, n });
      const views = await Promise.all(ended);
      assert.equal(good.status, 'completed', `the healthy process completed alongside: ${JSON.stringify(good.failure)}`);
      for (const task of poisons) run.inject(task);

      run.ledger.recordAll((good.output as string[]).map((key) => ({ kind: 'applied', key })));
      const check = checkLedger(Array.from({ length: n }, (_, i) => `effect-${i}`), run.ledger.keys('applied'));
      const failures = views.map((view) => view.failure?.failure?.type ?? 'none');
      const runs = poisons.map((task) => run.ledger.count('poison-run', task));
      const deadLetters = await millrace.queue.deadLetters('tasks');
      run.report({ check, detected: views.filter((view) => view.status === 'failed').length, notes: {
        failures: failures.join('/'), poisonRuns: runs.join('/'), deadLettered: deadLetters.length, workerDeaths: workers.deaths,
      } });

      assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
      assert.deepEqual(views.map((view) => view.status), ['failed', 'failed', 'failed'], 'every poisoned process failed, none hangs');
      // Collateral damage is a legitimate end for the thrower's last attempt: it may have run on a thread the
      // thread-crasher took down (WORKER_CRASHED), or sat prefetched on worker processes the process-killer took
      // down, each death counting as one of its deliveries, until the queue's limit dead-lettered it
      // (TASK_DEAD_LETTERED; seen once in CI with the thrower run only 4 times). Either way it is named, not lost.
      assert.ok(['Error', 'WORKER_CRASHED', 'TASK_DEAD_LETTERED'].includes(failures[0]!), `the thrower failed with ${failures[0]}`);
      assert.deepEqual(failures.slice(1), ['WORKER_CRASHED', 'TASK_DEAD_LETTERED']);
      assert.deepEqual(views.slice(0, 2).map((view) => view.steps[0]!.retries), [RETRIES - 1, RETRIES - 1], 'a throw and a thread crash are retried by the step policy, then fail');
      assert.ok(runs[0]! >= RETRIES && runs[1]! >= RETRIES, 'each attempt ran (a worker crash may add a redelivery)');
      assert.ok(deadLetters.some((letter) => letter.id === `${views[2]!.processId}/only/0#1` && letter.attempts === 10),
        'the process-killing task was dead-lettered after the queue\'s delivery limit');
      assert.ok(runs[2]! >= 10, 'it ran on every delivery');
    } finally {
      await workers.stop();
      await millrace.close();
    }
  });
});
