/**
 * The embedded pool follows its queue: a backlog of CPU-bound tasks grows
 * it, an empty queue shrinks it back, each change logged with its reason,
 * kept in the scaler's status and counted in the metrics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { defineProcess } from '../../src/jobs/process-definition.js';
import { createMillrace, type Millrace, type RunningWorker } from '../../src/runtime/millrace.js';
import { createMetrics } from '../../src/server/metrics.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasks = new URL('../fixtures/tasks.ts', import.meta.url);

/** A fan-out of CPU-bound tasks: one task lists them, a batch runs them. */
const spins = defineProcess<{ n: number; ms: number }>('spins', 1, (p) => {
  const list = p.task('list', { task: 'echo', input: ({ input }) => Array.from({ length: input.n }, () => ({ ms: input.ms })) });
  p.batch('spin', { task: 'spin', after: [list], items: ({ outputs }) => outputs.list as Array<{ ms: number }> });
});

describe('autoscale: the embedded pool grows with a backlog and shrinks when it drains', () => {
  let dir: TempDir;
  let millrace: Millrace;
  const logged: string[] = [];

  before(async () => {
    dir = createTempDir();
    const logger: Logger = { ...silentLogger, info: (_fields, message) => void logged.push(message), child: () => logger };
    millrace = await createMillrace({ dataDir: dir.path, logLevel: 'silent', logger });
  });
  after(async () => {
    await millrace.close();
    dir.remove();
  });

  async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
    for (const started = Date.now(); !check(); await sleep(50)) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    }
  }

  it('1 → more threads under a backlog, back to 1 once idle; decisions logged and in the metrics', async () => {
    const worker: RunningWorker = await millrace.startWorker({
      tasks, concurrency: 16,
      autoscale: { min: 1, max: 4, sampleMs: 200, upCooldownMs: 200, downCooldownMs: 1500, drainSeconds: 1 },
    });
    assert.equal(worker.pool.stats.size, 1);
    let peak = 1;
    const batch = millrace.runTasks<{ ms: number }, number>('spin', Array.from({ length: 400 }, () => ({ ms: 15 })));
    await until('the pool grew', () => (peak = Math.max(peak, worker.pool.stats.size)) > 1);
    const report = await batch;
    assert.equal(report.failed, 0);
    assert.equal(report.results.length, 400, 'every task ran once');
    await until('the pool shrank back to its minimum', () => worker.pool.stats.size === 1);

    const status = worker.scaler!.status();
    const directions = status.decisions.map((d) => d.direction);
    assert.ok(directions.includes('up') && directions.at(-1) === 'down', `decisions: ${directions.join(', ')}`);
    assert.ok(status.decisions.every((d) => d.to >= 1 && d.to <= 4), 'within bounds');
    assert.match(status.decisions[0]!.reason, /backlog \d+/);
    assert.ok(logged.some((m) => /^scaling up: 1 → \d threads$/.test(m)), 'growth logged');
    assert.ok(logged.some((m) => /^scaling down: \d → 1 threads$/.test(m)), 'shrink logged');

    const metrics = createMetrics({ index: millrace.orchestrator.index, queue: millrace.queue, queues: ['tasks'], scaler: () => worker.scaler?.status() });
    const text = await metrics.registry.metrics();
    metrics.close();
    assert.match(text, /^millrace_scaler_threads\{kind="current"\} 1$/m);
    assert.ok(Number(/^millrace_scaler_changes_total\{direction="up"\} (\d+)$/m.exec(text)?.[1]) >= 1);
    assert.ok(Number(/^millrace_scaler_changes_total\{direction="down"\} (\d+)$/m.exec(text)?.[1]) >= 1);
    await worker.stop();
  });

  it('grows for process tasks handed to it in-process too, which wait in the worker and not in the queue', async () => {
    const worker: RunningWorker = await millrace.startWorker({
      tasks, concurrency: 16,
      // Nothing spills to the queue during the test: only the tasks held in-process can make the pool grow.
      localDispatch: { spillAfterMs: 600_000 },
      autoscale: { min: 1, max: 4, sampleMs: 200, upCooldownMs: 200, downCooldownMs: 1500, drainSeconds: 1 },
    });
    try {
      let peak = 1;
      let mostWaiting = 0;
      let mostQueued = 0;
      const running = millrace.runProcess(spins, { n: 400, ms: 15 });
      await until('the pool grew', () => {
        mostWaiting = Math.max(mostWaiting, worker.stats().localWaiting);
        return (peak = Math.max(peak, worker.pool.stats.size)) > 1;
      });
      mostQueued = (await millrace.queue.stats('tasks')).ready;
      const view = await running;
      assert.equal(view.status, 'completed');
      assert.ok(mostWaiting > 0, 'tasks waited in the worker');
      assert.equal(mostQueued, 0, 'not in the queue');
      assert.match(worker.scaler!.status().decisions.find((d) => d.direction === 'up')!.reason, /backlog [1-9]\d*/, 'the growth counted them as backlog');
      const history = await millrace.orchestrator.history(view.processId);
      assert.equal(history.filter((event) => event.type === 'TaskCompleted').length, 401, 'every task completed once');
    } finally {
      await worker.stop();
    }
  });
});
