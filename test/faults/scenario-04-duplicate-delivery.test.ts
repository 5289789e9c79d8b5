/**
 * Scenario 4 — every message duplicated, some three times, shuffled.
 * Injects: every task message is published twice, a seeded share (10%)
 * three times, each batch shuffled; so is every result message when results
 * go through the result queue (a worker's results reach an orchestrator in
 * its own process directly, so that run duplicates tasks only). The worker
 * takes every task from the queue (`localDispatch: false`), as a worker in
 * another process does: handed over in-process, tasks would not pass
 * through the duplicating queue at all.
 * Pass: the process output is byte-identical (same JSON) to a fault-free
 * run's, and the ledger of confirmed tasks (one entry per `TaskCompleted`
 * in the history) shows each task exactly once: 0 lost, 0 duplicated.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMillrace } from '../../src/runtime/millrace.js';
import { squares } from '../fixtures/processes.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario, type ScenarioRun } from './harness/scenario.js';
import { duplicatingQueue, type DuplicationStats } from './support/duplicating-queue.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

/** `resultsInProcess: false` sends results through the (duplicating) result queue; by default they go straight to the orchestrator. */
async function runSquares(run: ScenarioRun, n: number, duplicate: boolean, resultsInProcess = true): Promise<{ output: string; scheduled: string[]; confirmed: string[]; stats?: DuplicationStats }> {
  let stats: DuplicationStats | undefined;
  const millrace = await createMillrace({
    dataDir: run.dir.file(`data-${duplicate}-${resultsInProcess}`), threads: 2, logLevel: 'silent',
    wrap: duplicate ? { queue: (inner) => {
      const wrapped = duplicatingQueue(inner, { queues: ['tasks', 'millrace.results'], seed: run.seed, thirdCopyShare: 0.1 });
      stats = wrapped.stats;
      return wrapped.queue;
    } } : {},
  });
  try {
    await millrace.startWorker({ tasks, concurrency: 32, resultsInProcess, localDispatch: false });
    const view = await millrace.runProcess(squares, { n });
    assert.equal(view.status, 'completed');
    const history = await millrace.orchestrator.history(view.processId);
    const ids = (type: string): string[] => history.filter((e) => e.type === type).map((e) => (e.data as { taskId: string }).taskId);
    return { output: JSON.stringify(view.output), scheduled: ids('TaskScheduled'), confirmed: ids('TaskCompleted'), stats };
  } finally {
    await millrace.close();
  }
}

describe('scenario 4: duplicated and shuffled deliveries', () => {
  const run = startScenario('04-duplicate-delivery');
  after(() => run.close());

  it('gives the fault-free output, byte for byte, and applies each task once', async () => {
    const n = run.size(300, 3_000);
    const clean = await runSquares(run, n, false);
    assert.deepEqual(counts(checkLedger(clean.scheduled, clean.confirmed)), { lost: 0, duplicated: 0, unexpected: 0 });
    const expected: string[] = [];
    const identical: boolean[] = [];
    for (const resultsInProcess of [false, true]) {
      const faulty = await runSquares(run, n, true, resultsInProcess);
      const variant = resultsInProcess ? 'in-process' : 'queued';
      expected.push(...faulty.scheduled.map((id) => `${variant}:${id}`));
      run.ledger.recordAll(faulty.confirmed.map((id) => ({ kind: 'confirmed', key: `${variant}:${id}` })));
      run.inject(resultsInProcess ? 'extra-task-copies' : 'extra-task-and-result-copies', faulty.stats!.extraCopies);
      identical.push(faulty.output === clean.output);
      assert.ok(faulty.stats!.extraCopies > faulty.stats!.published, 'every message was duplicated, some twice');
    }
    const check = checkLedger(expected, run.ledger.keys('confirmed'));
    run.report({ check, notes: { outputsIdentical: `${identical.filter(Boolean).length}/${identical.length}` } });
    assert.deepEqual(identical, [true, true], 'the output is byte-identical to the fault-free run, with results queued and in-process');
    assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
  });
});
