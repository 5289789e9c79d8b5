/** Tasks handed to a worker in-process: run without the queue, and back on the queue whenever they are not run here. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteTaskQueue } from '../../src/adapters/embedded/sqlite-task-queue.js';
import type { OutgoingMessage } from '../../src/ports/task-queue.js';
import type { LocalDispatchOptions, OfferedTask } from '../../src/workers/local-dispatch.js';
import { TaskWorker } from '../../src/workers/task-worker.js';
import { WorkerPool } from '../../src/workers/worker-pool.js';
import type { TaskResult } from '../../src/workers/task-message.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasksModule = new URL('../fixtures/tasks.ts', import.meta.url).href;
const threadEntry = new URL('../../src/runtime/thread-main.ts', import.meta.url);

describe('local dispatch', () => {
  let dir: TempDir;
  let pool: WorkerPool;

  before(async () => {
    dir = createTempDir();
    pool = new WorkerPool({ threadEntry, size: 1, threadData: { tasksModule, blobStore: { kind: 'fs', root: dir.file('blobs') }, claimCheckBytes: 65536, logLevel: 'silent' } });
    await pool.start();
  });
  after(async () => {
    await pool.close();
    dir.remove();
  });

  /** A worker with `concurrency` run slots (one by default) whose results are stored in `stored`; tasks are offered, not published. */
  async function localWorker(name: string, local: LocalDispatchOptions = {}, concurrency = 1): Promise<{ worker: TaskWorker; queue: SqliteTaskQueue; stored: TaskResult[]; settled: string[]; offer: (messages: OutgoingMessage[]) => OfferedTask[] }> {
    const queue = new SqliteTaskQueue({ path: dir.file(`${name}.db`), pollIntervalMs: 10 });
    const stored: TaskResult[] = [];
    const settled: string[] = [];
    const worker = new TaskWorker({
      queue, pool, concurrency, prefetch: 0, localDispatch: local,
      localResults: async (_queue, result) => {
        stored.push(result);
        return true;
      },
    });
    await worker.start();
    const offer = (messages: OutgoingMessage[]): OfferedTask[] => worker.localTarget!.offer('tasks', messages.map((message) => ({ message, settled: () => settled.push(message.id!) })));
    return { worker, queue, stored, settled, offer };
  }

  function task(id: string, name: string, input: unknown, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
    return { id, name, payload: { taskId: `p/${id}/0`, input, resultQueue: 'r', attempt: 1, timeoutMs: 10_000 }, maxAttempts: 10, ...extra };
  }

  async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('runs offered tasks without the queue, and settles each once its result is stored', async () => {
    const { worker, queue, stored, settled, offer } = await localWorker('runs');
    try {
      const left = offer([task('a', 'add', { a: 1, b: 2 }), task('b', 'add', { a: 3, b: 4 })]);
      assert.equal(left.length, 0, 'both taken');
      await until(() => settled.length === 2, 'both settled');
      assert.deepEqual(stored.map((result) => result.output), [{ sum: 3 }, { sum: 7 }]);
      assert.deepEqual(settled, ['a', 'b']);
      assert.equal((await queue.stats('tasks')).ready, 0, 'nothing went through the queue');
    } finally {
      await worker.stop();
      await queue.close();
    }
  });

  it('leaves to the queue the tasks it cannot take: unknown names, delayed retries, and those past its backlog', async () => {
    const { worker, queue, offer } = await localWorker('leaves', { backlog: 2 });
    try {
      const left = offer([
        task('unknown', 'no-such-task', null),
        task('later', 'add', { a: 1, b: 1 }, { delayMs: 5_000 }),
        task('one', 'sleep', { ms: 200 }),
        task('two', 'sleep', { ms: 200 }),
        task('three', 'sleep', { ms: 200 }),
      ]);
      assert.deepEqual(left.map((offered) => offered.message.id), ['unknown', 'later', 'three']);
      assert.equal(worker.localTarget!.offer('another-queue', [{ message: task('x', 'add', { a: 0, b: 0 }), settled: () => undefined }]).length, 1, 'only its own queue');
    } finally {
      await worker.stop();
      await queue.close();
    }
  });

  it('publishes a task still waiting for a run slot after spillAfterMs, where another worker can take it, and settles it then', async () => {
    const { worker, queue, stored, settled, offer } = await localWorker('spills', { spillAfterMs: 100 });
    try {
      offer([task('long', 'spin', { ms: 1500 }), task('waits', 'add', { a: 1, b: 1 })]);
      await until(() => settled.includes('waits'), 'the waiting task spilled');
      assert.deepEqual(settled, ['waits'], 'spilled before the running task ended');
      const queued = await queue.stats('tasks');
      assert.equal(queued.ready + queued.inFlight, 1, 'the spilled task is on the queue');
      await until(() => settled.length === 2, 'the long task settled');
      await until(() => stored.length === 2, 'the spilled task ran from the queue');
      assert.deepEqual(stored.map((result) => result.taskId).sort(), ['p/long/0', 'p/waits/0'], 'each ran once');
    } finally {
      await worker.stop();
      await queue.close();
    }
  });

  it('keeps a task its threads have no room for (perThread) waiting where it can spill, though a run slot is free', async () => {
    // Four run slots, one thread, a task that runs one at a time on a thread: the second and third
    // cannot start here until the first ends, so other workers should be able to take them.
    const { worker, queue, stored, settled, offer } = await localWorker('room', { spillAfterMs: 100 }, 4);
    try {
      offer([task('first', 'hold-one-per-thread', { ms: 1500 }), task('second', 'hold-one-per-thread', { ms: 10 }), task('third', 'hold-one-per-thread', { ms: 10 })]);
      await until(() => settled.length === 2, 'the two without room spilled');
      assert.deepEqual([...settled].sort(), ['second', 'third'], 'spilled while the first still ran');
      await until(() => stored.length === 3, 'all three ran');
      assert.deepEqual(stored.map((result) => result.taskId).sort(), ['p/first/0', 'p/second/0', 'p/third/0'], 'each ran once');
      assert.deepEqual(settled.sort(), ['first', 'second', 'third']);
    } finally {
      await worker.stop();
      await queue.close();
    }
  });

  it('on a stop without draining, hands back to the queue every task taken and not stored', async () => {
    const { worker, queue, stored, settled, offer } = await localWorker('stops');
    try {
      offer([task('running', 'sleep', { ms: 5_000 }), task('waiting', 'add', { a: 1, b: 1 })]);
      await until(() => pool.stats.inFlight === 1, 'the first task runs');
      await worker.stop({ drain: false });
      assert.deepEqual([...settled].sort(), ['running', 'waiting'], 'both settled by going to the queue');
      assert.equal(stored.length, 0);
      assert.equal((await queue.stats('tasks')).ready, 2, 'both are on the queue');
      assert.deepEqual(worker.localTarget!.offer('tasks', [{ message: task('late', 'add', { a: 0, b: 0 }), settled: () => undefined }]).length, 1, 'a stopped worker takes nothing');
    } finally {
      await worker.stop();
      await queue.close();
    }
  });

  it('keeps a task unsettled while its way back to the queue fails, and settles it once the queue takes it', async () => {
    const { worker, queue, settled, offer } = await localWorker('retries', { spillAfterMs: 50 });
    const publish = queue.publish.bind(queue);
    let failures = 2;
    queue.publish = async (name, messages) => {
      if (failures-- > 0) throw new Error('queue unavailable');
      return publish(name, messages);
    };
    try {
      offer([task('long', 'spin', { ms: 1500 }), task('waits', 'add', { a: 1, b: 1 })]);
      await until(() => settled.includes('waits'), 'settled once published');
      assert.equal(failures, -1, 'settled after two failed publishes and the one that went through');
      const queued = await queue.stats('tasks');
      assert.equal(queued.ready + queued.inFlight, 1, 'on the queue (ready, or taken back by this worker)');
    } finally {
      await worker.stop();
      await queue.close();
    }
  });

  it('refuses a backlog or spill time that is not a count or a duration, naming the option', async () => {
    const queue = new SqliteTaskQueue({ path: dir.file('invalid.db') });
    try {
      assert.throws(() => new TaskWorker({ queue, pool, localDispatch: { backlog: -1 } }), { code: 'CONFIG_INVALID', message: /localDispatch\.backlog must be a whole number/ });
      assert.throws(() => new TaskWorker({ queue, pool, localDispatch: { backlog: 1.5 } }), { code: 'CONFIG_INVALID', message: /localDispatch\.backlog/ });
      assert.throws(() => new TaskWorker({ queue, pool, localDispatch: { spillAfterMs: Number.NaN } }), { code: 'CONFIG_INVALID', message: /localDispatch\.spillAfterMs must be a number of milliseconds/ });
    } finally {
      await queue.close();
    }
  });
});
