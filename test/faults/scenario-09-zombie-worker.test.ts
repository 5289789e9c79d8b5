/**
 * Scenario 9 — a zombie worker.
 * Injects: a worker that takes every task of a process and then stalls (a
 * GC pause, a frozen VM): no heartbeat, so its leases lapse, and the tasks
 * pass their orchestrator deadline and are retried (attempt 2) on a healthy
 * worker. Once the process has completed, the zombie wakes up: it reports
 * a success for each task it held (attempt 1) and tries to ack.
 * Pass: every ack of the zombie is refused (`QUEUE_LEASE_LOST`), every one
 * of its completions is rejected (the history confirms each task once, at
 * the attempt that was current), and each task's effect is applied once:
 * 0 lost, 0 duplicated, 0 unexpected (a zombie result applied would show
 * as its `zombie-…` key in the output).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasCode } from '../../src/core/errors.js';
import { createMillrace } from '../../src/runtime/millrace.js';
import { defineProcess } from '../../src/jobs/process-definition.js';
import type { Delivery } from '../../src/ports/task-queue.js';
import { TASK_RESULT_MESSAGE, parseTaskPayload, type TaskResult } from '../../src/workers/task-message.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';
import type { EffectInput } from './scenario-tasks.js';

const tasksModule = new URL('./scenario-tasks.ts', import.meta.url);

const guarded = defineProcess<{ ledger: string; n: number }>('fault-zombie', 1, (p) => {
  p.batch('effect', {
    task: 'ledger-effect', deadlineMs: 2_000, retry: { maxAttempts: 10, initialDelayMs: 10, jitter: 'none' },
    items: ({ input }): EffectInput[] => Array.from({ length: input.n }, (_, i) => ({ ledger: input.ledger, key: `effect-${i}`, delayMs: 0 })),
  });
  p.output(({ outputs }) => outputs.effect as string[]);
});

describe('scenario 9: a zombie worker reports after its lease expired', () => {
  const run = startScenario('09-zombie-worker');
  after(() => run.close());

  it('rejects the zombie\'s acks and completions; each effect applied once', { timeout: 300_000 }, async () => {
    const n = run.size(20, 100);
    const millrace = await createMillrace({ dataDir: run.dir.file('data'), threads: 1, logLevel: 'silent' });
    try {
      // The zombie: takes deliveries with a short lease and sits on them until woken.
      const held: Delivery[] = [];
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const zombie = millrace.queue.consume('tasks', async (delivery) => {
        held.push(delivery);
        await woken;
      }, { concurrency: n, leaseMs: 300 });
      const done = millrace.runProcess(guarded, { ledger: run.ledgerPath, n });
      while (held.length < n) await sleep(20);
      await zombie.stop({ drain: false });
      run.inject('stalled-deliveries', held.length);

      // Past the deadline: the orchestrator retries each task; a healthy worker runs them.
      await sleep(run.between(2_500, 3_500));
      await millrace.startWorker({ tasks: tasksModule, concurrency: 16, resultsInProcess: false });
      const view = await done;
      assert.equal(view.status, 'completed');

      // The zombie wakes: reports success for what it held, then tries to ack.
      let acksRefused = 0;
      for (const delivery of held) {
        const payload = parseTaskPayload(delivery.payload);
        const result: TaskResult = { taskId: payload.taskId, name: delivery.name, attempt: payload.attempt!, ok: true, output: `zombie-${payload.taskId}`, durationMs: 1 };
        await millrace.queue.publish('millrace.results', { name: TASK_RESULT_MESSAGE, payload: result });
        await delivery.ack().catch((error: unknown) => void (hasCode(error, 'QUEUE_LEASE_LOST') && acksRefused++));
      }
      wake();
      run.inject('zombie-reports', held.length);
      for (let i = 0; i < 200; i++) {
        const stats = await millrace.queue.stats('millrace.results');
        if (stats.ready + stats.inFlight + stats.delayed === 0) break;
        await sleep(25);
      }

      const after = await millrace.orchestrator.get(view.processId);
      run.ledger.recordAll((after.output as string[]).map((key) => ({ kind: 'applied', key })));
      const check = checkLedger(Array.from({ length: n }, (_, i) => `effect-${i}`), run.ledger.keys('applied'));
      const history = await millrace.orchestrator.history(view.processId);
      const completions = history.filter((e) => e.type === 'TaskCompleted').map((e) => e.data as { taskId: string; attempt: number });
      const zombieApplied = completions.filter((c) => c.attempt === 1).length;
      run.report({ check, detected: acksRefused, notes: { timedOut: history.filter((e) => e.type === 'TaskTimedOut').length, zombieApplied } });

      assert.equal(acksRefused, held.length, 'every zombie ack refused with QUEUE_LEASE_LOST');
      assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
      assert.equal(completions.length, n, 'each task confirmed once');
      assert.equal(zombieApplied, 0, 'no completion of the zombie\'s attempt was applied');
      assert.deepEqual(after.output, view.output, 'the late reports changed nothing');
    } finally {
      await millrace.close();
    }
  });
});
