/**
 * Task metrics split by the tag of the worker that ran each task, so a
 * version tried on a share of live traffic can be compared with the old
 * one: two workers with different tags produce separate series.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { squares } from '../fixtures/processes.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);
const N = 200;

describe('metrics by worker tag', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;

  before(async () => {
    dir = createTempDir();
    // Half of the squares go to v2; everything else to the untagged (stable) worker.
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent', routes: [{ task: 'square', tag: 'v2', share: 0.5 }] });
    await millrace.startWorker({ tasks });
    await millrace.startWorker({ tasks, tags: ['v2', 'canary'] });
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, dashboard: false });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  it('counts and times tasks in one series per tag, adding up to every task', async () => {
    const view = await millrace.runProcess(squares, { n: N }, { processId: 'by-tag' });
    assert.equal(view.status, 'completed');
    const text = (await app.inject('/metrics')).body;
    const series = (metric: string, labels: string): number => Number(new RegExp(`^${metric}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const canary = series('millrace_tasks_ended_total', 'definition="squares",step="squared",outcome="completed",tag="v2,canary"');
    const stable = series('millrace_tasks_ended_total', 'definition="squares",step="squared",outcome="completed",tag="untagged"');
    assert.equal(canary + stable, N, `${canary} on v2,canary and ${stable} untagged`);
    // Binomial(200, 0.5): a standard deviation of 7; ±40 is more than five of them.
    assert.ok(canary >= 60 && canary <= 140, `v2,canary ran ${canary} of ${N}`);
    assert.equal(series('millrace_task_duration_seconds_count', 'definition="squares",step="squared",tag="v2,canary"'), canary);
    assert.equal(series('millrace_task_duration_seconds_count', 'definition="squares",step="squared",tag="untagged"'), stable);
    assert.equal(series('millrace_tasks_ended_total', 'definition="squares",step="numbers",outcome="completed",tag="untagged"'), 1, 'a task not routed runs untagged');
    const history = await millrace.orchestrator.history('by-tag');
    const tagged = history.filter((e) => e.type === 'TaskCompleted' && (e.data as { tag?: string }).tag === 'v2,canary').length;
    assert.equal(tagged, canary, 'the history records which tag ran each task');
  });
});
