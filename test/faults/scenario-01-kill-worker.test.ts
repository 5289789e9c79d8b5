/**
 * Scenario 1 — worker SIGKILL at random moments, in a DAG.
 * Injects: SIGKILLs of the worker process at seeded moments, and tasks that
 * kill their own worker process right after their effect, before the result
 * is reported or the message acked (the worst moment). Each dead worker is
 * replaced.
 * Pass: 0 lost, 0 duplicate applied effects — every task's result is
 * applied exactly once (the process output holds each key once, and the
 * history confirms each task once), though handlers may run more than once
 * (at-least-once delivery; reported as `reexecuted`).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMillrace } from '../../src/runtime/millrace.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';
import { WorkerSupervisor } from './harness/worker-supervisor.js';
import { effectsDag } from './scenario-processes.js';

const tasksModule = new URL('./scenario-tasks.ts', import.meta.url).href;

describe('scenario 1: worker SIGKILL at random moments in a DAG', () => {
  const run = startScenario('01-kill-worker');
  after(() => run.close());

  it('applies every task result exactly once', { timeout: 900_000 }, async () => {
    const n = run.size(1_000, 10_000);
    const killsAfterEffect = Array.from({ length: run.size(3, 10) }, () => run.between(0, n - 1));
    const randomKills = run.size(2, 6);
    const millrace = await createMillrace({ dataDir: run.dir.file('data'), threads: 1, logLevel: 'silent' });
    const workers = new WorkerSupervisor(run.dir.file('data'), tasksModule);
    try {
      await workers.start();
      const done = millrace.runProcess(effectsDag, { n, ledger: run.ledgerPath, killAfterEffect: killsAfterEffect });
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      for (let k = 0; k < randomKills && !finished; k++) {
        await sleep(run.between(300, 1_500));
        if (finished) break;
        await workers.kill();
        run.inject('sigkill');
      }
      const view = await done;
      assert.equal(view.status, 'completed');
      run.inject('kill-after-effect', new Set(killsAfterEffect).size);

      // The applied effects: what the orchestrator took into the result, and what it confirmed in the history.
      const output = view.output as string[];
      run.ledger.recordAll(output.map((key) => ({ kind: 'applied', key })));
      const history = await millrace.orchestrator.history(view.processId);
      const confirmed = history.filter((e) => e.type === 'TaskCompleted').map((e) => (e.data as { taskId: string }).taskId);
      const expected = Array.from({ length: n }, (_, i) => `effect-${i}`);
      const applied = checkLedger(expected, run.ledger.keys('applied'));
      const executed = checkLedger(expected, run.ledger.keys('executed'));
      const confirmations = checkLedger(new Set(confirmed), confirmed);
      run.report({ check: applied, notes: {
        workerDeaths: workers.deaths, reexecuted: executed.duplicated, neverExecuted: executed.lost, confirmedTwice: confirmations.duplicated,
      } });

      assert.deepEqual(counts(applied), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(applied));
      assert.equal(executed.lost, 0, 'every task ran');
      assert.equal(confirmations.duplicated, 0, 'no task confirmed twice in the history');
      assert.equal(confirmed.length, n);
      assert.ok(workers.deaths >= 1, 'a worker died mid-run');
      assert.ok(executed.duplicated >= 1, 'a task was re-run after its worker died after the effect (the fault did bite)');
    } finally {
      await workers.stop();
      await millrace.close();
    }
  });
});
