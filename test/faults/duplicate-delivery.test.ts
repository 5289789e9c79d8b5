/**
 * Fault: every task message is delivered twice, 10% three times, in
 * shuffled order, and so is every result message when results go through
 * the result queue (a worker's results reach an orchestrator in its own
 * process directly, so that run duplicates tasks only). The process output
 * must equal a fault-free run's, and the history must show each task
 * confirmed exactly once (the extra results are dropped as duplicates).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMillrace } from '../../src/runtime/millrace.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { squares } from '../fixtures/processes.js';
import { duplicatingQueue, type DuplicationStats } from './support/duplicating-queue.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);
const SEED = Number(process.env.MILLRACE_FAULT_SEED ?? 7);

/** `resultsInProcess: false` sends results through the (duplicating) result queue; by default they go straight to the orchestrator. */
async function run(duplicate: boolean, resultsInProcess = true): Promise<{ output: unknown; completions: number; scheduled: number; stats?: DuplicationStats }> {
  const dir = createTempDir('millrace-dup-');
  let stats: DuplicationStats | undefined;
  const millrace = await createMillrace({
    dataDir: dir.path, threads: 2, logLevel: 'silent',
    wrap: duplicate ? { queue: (inner) => {
      const wrapped = duplicatingQueue(inner, { queues: ['tasks', 'millrace.results'], seed: SEED, thirdCopyShare: 0.1 });
      stats = wrapped.stats;
      return wrapped.queue;
    } } : {},
  });
  try {
    await millrace.startWorker({ tasks, concurrency: 32, resultsInProcess });
    const view = await millrace.runProcess(squares, { n: 300 });
    assert.equal(view.status, 'completed');
    const history = await millrace.orchestrator.history(view.processId);
    return {
      output: view.output,
      completions: history.filter((e) => e.type === 'TaskCompleted').length,
      scheduled: history.filter((e) => e.type === 'TaskScheduled').length,
      stats,
    };
  } finally {
    await millrace.close();
    dir.remove();
  }
}

describe('fault: duplicated and shuffled deliveries', () => {
  it('gives the fault-free output, and confirms each task once', async () => {
    const clean = await run(false);
    assert.equal(clean.completions, clean.scheduled);
    for (const resultsInProcess of [false, true]) {
      const faulty = await run(true, resultsInProcess);
      process.stdout.write(`# duplicate-delivery: seed=${SEED} results=${resultsInProcess ? 'in-process' : 'queued'} messages=${faulty.stats!.published} ` +
        `extraCopies=${faulty.stats!.extraCopies} tasks=${faulty.scheduled} confirmed=${faulty.completions} duplicateEffects=${faulty.completions - faulty.scheduled}\n`);
      assert.deepEqual(faulty.output, clean.output);
      assert.ok(faulty.stats!.extraCopies > faulty.stats!.published, 'every message was duplicated, some twice');
      assert.equal(faulty.completions, faulty.scheduled, 'each task confirmed exactly once');
    }
  });
});
