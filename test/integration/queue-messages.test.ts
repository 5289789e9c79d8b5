/**
 * Malformed messages read from a queue — task messages a worker takes, and
 * result messages the orchestrator takes — are dead-lettered at once with
 * a reason naming the problem, not retried and not crashing anything: the
 * same engine then runs a process to the end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import type { DeadLetter } from '../../src/ports/task-queue.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { squares } from '../fixtures/processes.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

async function deadLettered(millrace: Millrace, queue: string, ids: readonly string[]): Promise<Map<string, DeadLetter>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const letters = new Map((await millrace.queue.deadLetters(queue, { limit: 1000 })).map((letter) => [letter.id, letter]));
    if (ids.every((id) => letters.has(id)) || Date.now() > deadline) return letters;
    await sleep(50);
  }
}

describe('malformed queue messages', () => {
  let dir: TempDir;
  let millrace: Millrace;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    millrace.orchestrator.register(squares);
    await millrace.startWorker({ tasks });
    await millrace.startOrchestrator();
  });
  after(async () => {
    await millrace.close();
    dir.remove();
  });

  it('dead-letters malformed task messages with the field at fault, and unknown tasks by name', async () => {
    const cases: Array<{ id: string; name: string; payload: unknown; reason: RegExp }> = [
      { id: 'bad-not-object', name: 'square', payload: 'just a string', reason: /field "payload" must be an object/ },
      { id: 'bad-array', name: 'square', payload: [1, 2], reason: /field "payload" must be an object/ },
      { id: 'bad-no-task-id', name: 'square', payload: { input: 1 }, reason: /field "taskId"/ },
      { id: 'bad-task-id-type', name: 'square', payload: { taskId: 12, input: 1 }, reason: /field "taskId"/ },
      { id: 'bad-timeout', name: 'square', payload: { taskId: 't/1', input: 1, timeoutMs: 1e10 }, reason: /field "timeoutMs" must be a number of milliseconds from 1 to/ },
      { id: 'bad-attempt', name: 'square', payload: { taskId: 't/2', input: 1, attempt: 0 }, reason: /field "attempt" must be an integer/ },
      { id: 'bad-result-queue', name: 'square', payload: { taskId: 't/3', input: 1, resultQueue: '../elsewhere' }, reason: /field "resultQueue" must be a queue name/ },
      { id: 'bad-unknown-task', name: 'no-such-task', payload: { taskId: 't/4', input: 1 }, reason: /no task named "no-such-task"/ },
    ];
    const queue = millrace.orchestrator.taskQueue;
    await millrace.queue.publish(queue, cases.map(({ id, name, payload }) => ({ id, name, payload })));
    const letters = await deadLettered(millrace, queue, cases.map((c) => c.id));
    for (const { id, reason } of cases) {
      assert.ok(letters.has(id), `${id} is dead-lettered`);
      assert.match(letters.get(id)!.reason, reason, id);
      assert.equal(letters.get(id)!.attempts, 1, `${id} is not retried`);
    }
  });

  it('dead-letters malformed result messages instead of redelivering them to the orchestrator', async () => {
    const ok = { taskId: 'p/s/0', name: 'square', attempt: 1, ok: true, output: 4, durationMs: 1 };
    const cases: Array<{ id: string; name: string; payload: unknown; reason: RegExp }> = [
      { id: 'result-wrong-name', name: 'not-a-result', payload: ok, reason: /unexpected message "not-a-result"/ },
      { id: 'result-no-attempt', name: 'task-result', payload: { ...ok, attempt: undefined }, reason: /field "attempt"/ },
      { id: 'result-bad-failure', name: 'task-result', payload: { ...ok, ok: false, failure: 'boom' }, reason: /field "failure"/ },
      { id: 'result-not-object', name: 'task-result', payload: 17, reason: /field "result" must be an object/ },
    ];
    const queue = millrace.orchestrator.resultQueue;
    await millrace.queue.publish(queue, cases.map(({ id, name, payload }) => ({ id, name, payload })));
    const letters = await deadLettered(millrace, queue, cases.map((c) => c.id));
    for (const { id, reason } of cases) {
      assert.ok(letters.has(id), `${id} is dead-lettered`);
      assert.match(letters.get(id)!.reason, reason, id);
      assert.equal(letters.get(id)!.attempts, 1, `${id} is not redelivered`);
    }
  });

  it('still runs processes afterwards', async () => {
    const view = await millrace.runProcess(squares, { n: 3 });
    assert.equal(view.status, 'completed');
  });
});
