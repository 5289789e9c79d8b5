/**
 * Retrying the task that failed a process, over HTTP: the task fails for
 * good, the process fails, the handler is fixed, the task is retried and
 * the process completes. Plus the task list, and the refusals that say why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { repairable } from '../fixtures/processes.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

describe('server API: retry a failed task', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    millrace.orchestrator.register(repairable);
    await millrace.startWorker({ tasks });
    await millrace.startOrchestrator();
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  it('fails the process, lists the failed task, retries it once fixed, and completes', async () => {
    const fixedWhen = dir.file('fixed');
    const started = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'repairable', input: { fixedWhen }, processId: 'rp-1' } });
    assert.equal(started.statusCode, 201);
    const failed = await millrace.orchestrator.wait('rp-1');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure?.taskId, 'rp-1/work/0');

    const listed = (await app.inject('/api/processes/rp-1/tasks?status=failed')).json() as { tasks: Array<{ taskId: string; attempt: number; retryable: boolean; failure: { message: string } }> };
    assert.deepEqual(listed.tasks.map((t) => [t.taskId, t.attempt, t.retryable]), [['rp-1/work/0', 1, true]]);
    assert.match(listed.tasks[0]!.failure.message, /item 2 hits the bug/);
    assert.deepEqual((await app.inject('/api/processes/rp-1/tasks?status=completed')).json().tasks.map((t: { taskId: string }) => t.taskId), ['rp-1/first/0']);
    assert.deepEqual((await app.inject('/api/processes/rp-1/tasks?step=first&status=failed')).json().tasks, []);

    writeFileSync(fixedWhen, 'deployed');
    const retried = await app.inject({ method: 'POST', url: `/api/processes/rp-1/tasks/${encodeURIComponent('rp-1/work/0')}/retry` });
    assert.equal(retried.statusCode, 200, retried.body);
    assert.deepEqual(retried.json(), { retried: 'rp-1/work/0', attempt: 2 });
    const done = await millrace.orchestrator.wait('rp-1');
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.output, { first: 10, work: [20] });
    const types = ((await app.inject('/api/processes/rp-1/history')).json().events as Array<{ type: string }>).map((e) => e.type);
    assert.deepEqual(types.slice(types.indexOf('ProcessFailed')), ['ProcessFailed', 'ProcessResumed', 'TaskRetried', 'TaskScheduled', 'TaskCompleted', 'ProcessCompleted']);
  });

  it('refuses a retry that cannot apply, saying why', async () => {
    const again = await app.inject({ method: 'POST', url: `/api/processes/rp-1/tasks/${encodeURIComponent('rp-1/work/0')}/retry` });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'TASK_NOT_RETRYABLE');
    assert.match(again.json().error.message, /the process is completed/);
    const unknown = await app.inject({ method: 'POST', url: `/api/processes/rp-1/tasks/${encodeURIComponent('rp-1/work/7')}/retry` });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'TASK_NOT_FOUND');
    assert.equal((await app.inject({ method: 'POST', url: '/api/processes/nope/tasks/nope%2Fa%2F0/retry' })).json().error.code, 'PROCESS_NOT_FOUND');
  });
});
