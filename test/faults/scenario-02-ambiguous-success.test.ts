/**
 * Scenario 2 — ambiguous success.
 * Injects: a seeded share of event appends and queue publishes succeed and
 * then report a failure to the caller (see support/ambiguous-faults), both
 * with results handed over in-process and through the result queue. The
 * process is started with a known id and the start retried until it
 * returns, as a client would.
 * Pass: the process completes; each task's effect is applied once (0 lost,
 * 0 duplicated); the history holds no duplicate event (each task is
 * scheduled once per attempt and confirmed once).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMillrace } from '../../src/runtime/millrace.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';
import { effectsDag } from './scenario-processes.js';
import { ambiguousFaults } from './support/ambiguous-faults.js';

const tasksModule = new URL('./scenario-tasks.ts', import.meta.url);

describe('scenario 2: ambiguous success of appends and publishes', () => {
  const run = startScenario('02-ambiguous-success');
  after(() => run.close());

  it('applies each effect once and stores no duplicate event', { timeout: 300_000 }, async () => {
    const n = run.size(300, 3_000);
    const expected: string[] = [];
    const scheduled: string[] = [];
    const confirmed: string[] = [];
    for (const resultsInProcess of [true, false]) {
      const variant = resultsInProcess ? 'in-process' : 'queued';
      const faults = ambiguousFaults({ random: run.random, share: 0.05 });
      const millrace = await createMillrace({ dataDir: run.dir.file(`data-${variant}`), threads: 1, logLevel: 'silent', wrap: { events: faults.events, queue: faults.queue } });
      try {
        millrace.orchestrator.register(effectsDag);
        await millrace.startOrchestrator();
        await millrace.startWorker({ tasks: tasksModule, concurrency: 16, resultsInProcess });
        faults.armed = true;
        const processId = `ambiguous-${variant}`;
        for (let tries = 1; ; tries++) {
          try {
            await millrace.orchestrator.startProcess(effectsDag.name, { n, ledger: run.ledgerPath, delayMs: 0 }, { processId });
            break;
          } catch (error) {
            if (tries >= 10) throw error;
            run.inject('start-retried');
            await sleep(10);
          }
        }
        const view = await millrace.orchestrator.wait(processId);
        faults.armed = false;
        assert.equal(view.status, 'completed', JSON.stringify(view.failure));
        run.inject('ambiguous-append', faults.stats.ambiguousAppends);
        run.inject('ambiguous-publish', faults.stats.ambiguousPublishes);
        run.ledger.recordAll((view.output as string[]).map((key) => ({ kind: 'applied', key: `${variant}:${key}` })));
        expected.push(...Array.from({ length: n }, (_, i) => `${variant}:effect-${i}`));
        const history = await millrace.orchestrator.history(processId);
        const ids = new Set(history.map((e) => e.id));
        assert.equal(ids.size, history.length, 'no event stored twice');
        for (const e of history) {
          const data = e.data as { taskId?: string; attempt?: number };
          if (e.type === 'TaskScheduled') scheduled.push(`${variant}:${data.taskId}#${data.attempt}`);
          if (e.type === 'TaskCompleted') confirmed.push(`${variant}:${data.taskId}`);
        }
        assert.equal(history.filter((e) => e.type === 'ProcessStarted').length, 1, 'the retried start started the process once');
      } finally {
        await millrace.close();
      }
    }
    const check = checkLedger(expected, run.ledger.keys('applied'));
    const schedules = checkLedger(new Set(scheduled), scheduled);
    const confirmations = checkLedger(new Set(confirmed), confirmed);
    run.report({ check, notes: { scheduledTwice: schedules.duplicated, confirmedTwice: confirmations.duplicated } });

    assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
    assert.equal(schedules.duplicated, 0, 'no task attempt scheduled twice');
    assert.equal(confirmations.duplicated, 0, 'no task confirmed twice');
    assert.ok((run.faults['ambiguous-append'] ?? 0) > 0 && (run.faults['ambiguous-publish'] ?? 0) > 0, 'both kinds of fault were injected');
  });
});
