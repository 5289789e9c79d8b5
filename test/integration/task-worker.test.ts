/** The queue → pool binding: retries, dead letters, results and replies, through a real durable queue and real threads. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTaskQueue } from '../../src/adapters/embedded/memory-task-queue.js';
import { SqliteTaskQueue } from '../../src/adapters/embedded/sqlite-task-queue.js';
import { TaskWorker } from '../../src/workers/task-worker.js';
import { WorkerPool } from '../../src/workers/worker-pool.js';
import { parseTaskResult, type TaskResult } from '../../src/workers/task-message.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasksModule = new URL('../fixtures/tasks.ts', import.meta.url).href;
const threadEntry = new URL('../../src/runtime/thread-main.ts', import.meta.url);

describe('TaskWorker', () => {
  let dir: TempDir;
  let queue: SqliteTaskQueue;
  let pool: WorkerPool;
  let worker: TaskWorker;

  before(async () => {
    dir = createTempDir();
    queue = new SqliteTaskQueue({ path: dir.file('queue.db'), pollIntervalMs: 10 });
    pool = new WorkerPool({ threadEntry, size: 2, threadData: { tasksModule, blobStore: { kind: 'fs', root: dir.file('blobs') }, claimCheckBytes: 65536, logLevel: 'silent' } });
    await pool.start();
    worker = new TaskWorker({ queue, pool, concurrency: 8, random: () => 0 });
    await worker.start();
  });
  after(async () => {
    await worker.stop({ drain: false });
    await pool.close();
    await queue.close();
    dir.remove();
  });

  /** Publishes tasks and collects `count` results from their result queue. */
  async function runAndCollect(resultQueue: string, tasks: Array<{ name: string; taskId: string; input: unknown }>, count = tasks.length): Promise<TaskResult[]> {
    const results: TaskResult[] = [];
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const consumer = queue.consume(resultQueue, async (d) => {
      results.push(parseTaskResult(d.payload));
      if (results.length === count) done();
    }, { concurrency: 4 });
    await queue.publish('tasks', tasks.map((t) => ({ id: t.taskId, name: t.name, payload: { taskId: t.taskId, input: t.input, resultQueue } })));
    const deadline = setTimeout(() => done(), 15_000);
    await all;
    clearTimeout(deadline);
    await consumer.stop();
    assert.equal(results.length, count, `expected ${count} results on ${resultQueue} within 15 s`);
    return results;
  }

  it('publishes a successful result, then acks', async () => {
    const [result] = await runAndCollect('r.ok', [{ name: 'add', taskId: 'p/add/0', input: { a: 1, b: 2 } }]);
    assert.deepEqual({ ok: result!.ok, output: result!.output, attempt: result!.attempt }, { ok: true, output: { sum: 3 }, attempt: 1 });
    assert.equal((await queue.stats('tasks')).ready, 0);
  });

  it('retries a failing task per its policy and reports only the final result', async () => {
    const [result] = await runAndCollect('r.flaky', [{ name: 'flaky', taskId: 'p/flaky/0', input: null }]);
    assert.deepEqual({ ok: result!.ok, attempt: result!.attempt, output: result!.output }, { ok: true, attempt: 2, output: { attempt: 2 } });
    assert.ok(worker.stats.retried >= 1);
  });

  it('dead-letters a task that fails on every attempt, with its failure as reason and as final result', async () => {
    const [result] = await runAndCollect('r.fail', [{ name: 'always-fails', taskId: 'p/fail/0', input: null }]);
    assert.equal(result!.ok, false);
    assert.equal(result!.attempt, 2);
    assert.equal(result!.failure?.message, 'always');
    const dead = await queue.deadLetters('tasks');
    assert.ok(dead.some((d) => d.id === 'p/fail/0' && /always \(attempt 2\)/.test(d.reason)));
  });

  it('dead-letters an unknown task name at once with a clear error', async () => {
    const [result] = await runAndCollect('r.unknown', [{ name: 'no-such-task', taskId: 'p/unknown/0', input: null }]);
    assert.equal(result!.attempt, 1);
    assert.equal(result!.failure?.type, 'TASK_UNKNOWN');
    const dead = await queue.deadLetters('tasks');
    assert.ok(dead.some((d) => d.id === 'p/unknown/0' && /no task named "no-such-task"/.test(d.reason)));
  });

  it('dead-letters a malformed task message without running anything', async () => {
    await queue.publish('tasks', { id: 'malformed-1', name: 'echo', payload: { notATask: true } });
    await waitFor(async () => (await queue.deadLetters('tasks')).some((d) => d.id === 'malformed-1'));
    const letter = (await queue.deadLetters('tasks')).find((d) => d.id === 'malformed-1');
    assert.match(letter!.reason, /taskId/);
  });

  it('answers a request with the result', async () => {
    const reply = await queue.request('tasks', { name: 'add', payload: { taskId: 'p/req/0', input: { a: 20, b: 22 } } }, { timeoutMs: 10_000 });
    assert.deepEqual((reply as TaskResult).output, { sum: 42 });
  });

  it('carries bytes both ways in a reply, and fails a job task whose result carries bytes, since events are JSON', async () => {
    const reply = await queue.request('tasks', { name: 'echo', payload: { taskId: 'p/bytes/0', input: { png: new Uint8Array([137, 80, 78, 71]) } } }, { timeoutMs: 10_000 });
    const png = ((reply as TaskResult).output as { png: Uint8Array }).png;
    assert.ok(png instanceof Uint8Array);
    assert.deepEqual([...png], [137, 80, 78, 71]);
    const [result] = await runAndCollect('r.bytes', [{ name: 'echo', taskId: 'p/bytes/1', input: new Uint8Array([1]) }]);
    assert.equal(result!.ok, false);
    assert.equal(result!.failure?.type, 'TASK_OUTPUT_INVALID');
    assert.match(result!.failure!.message, /returned binary data, which a process's events cannot hold: put the bytes in the blob store/);
  });

  it('fails a job task whose result carries bytes whatever its size, claim-checked or not', async () => {
    const [result] = await runAndCollect('r.bigbytes', [{ name: 'echo', taskId: 'p/bytes/2', input: { png: new Uint8Array(200_000) } }]);
    assert.equal(result!.ok, false, 'a result past the claim-check threshold goes to the blob store as a ticket, but bytes still cannot reach the events');
    assert.equal(result!.failure?.type, 'TASK_OUTPUT_INVALID');
    assert.match(result!.failure!.message, /returned binary data, which a process's events cannot hold/);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TaskWorker prefetch', () => {
  /** Two tasks with one run slot; the first result's storing is held until `release` is called. */
  async function twoTasks(prefetch: number): Promise<{ completedWhileHeld: number; release: () => void; done: Promise<void>; close: () => Promise<void> }> {
    const dir = createTempDir();
    const queue = new MemoryTaskQueue();
    const pool = new WorkerPool({ threadEntry, size: 1, threadData: { tasksModule, blobStore: { kind: 'fs', root: dir.file('blobs') }, claimCheckBytes: 65536, logLevel: 'silent' } });
    await pool.start();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const stored: string[] = [];
    let allStored!: () => void;
    const done = new Promise<void>((resolve) => (allStored = resolve));
    const worker = new TaskWorker({
      queue, pool, concurrency: 1, prefetch,
      localResults: async (_queue, result) => {
        if (stored.length === 0) await held;
        stored.push(result.taskId);
        if (stored.length === 2) allStored();
        return true;
      },
    });
    await worker.start();
    await queue.publish('tasks', ['a', 'b'].map((id) => ({ id, name: 'add', payload: { taskId: id, input: { a: 1, b: 1 }, resultQueue: 'r' } })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    return {
      completedWhileHeld: pool.stats.completed,
      release,
      done,
      close: async () => {
        await worker.stop();
        await pool.close();
        await queue.close();
        dir.remove();
      },
    };
  }

  it('runs the next task while the last one\'s result is being stored, never more than `concurrency` at once', async () => {
    const run = await twoTasks(1);
    try {
      assert.equal(run.completedWhileHeld, 2, 'the second task ran while the first result was held');
      run.release();
      await run.done;
    } finally {
      run.release();
      await run.close();
    }
  });

  it('with prefetch 0 takes the next task only once the last one is settled', async () => {
    const run = await twoTasks(0);
    try {
      assert.equal(run.completedWhileHeld, 1);
      run.release();
      await run.done;
    } finally {
      run.release();
      await run.close();
    }
  });
});
