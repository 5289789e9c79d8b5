import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/workers/worker-pool.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasksModule = new URL('../fixtures/tasks.ts', import.meta.url).href;
const threadEntry = new URL('../../src/runtime/thread-main.ts', import.meta.url);

function createPool(dir: TempDir, size = 2, module = tasksModule): WorkerPool {
  return new WorkerPool({
    threadEntry,
    threadData: { tasksModule: module, blobStore: { kind: 'fs', root: dir.file('blobs') }, claimCheckBytes: 1024, logLevel: 'silent' },
    size,
  });
}

describe('WorkerPool', () => {
  let dir: TempDir;
  let pool: WorkerPool;

  before(async () => {
    dir = createTempDir();
    pool = createPool(dir);
    await pool.start();
  });
  after(async () => {
    await pool.close();
    dir.remove();
  });

  it('reports the tasks its threads serve, with their settings', () => {
    const flaky = pool.task('flaky');
    assert.equal(flaky?.retry.maxAttempts, 3);
    assert.ok(pool.tasks.some((t) => t.name === 'echo'));
  });

  it('runs handlers on threads and returns their output', async () => {
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => pool.run({ taskId: `t/${i}`, name: 'add', input: { a: i, b: 1 }, attempt: 1 })));
    assert.deepEqual(outcomes.map((o) => (o.ok ? (o.output as { sum: number }).sum : -1)), Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('turns a thrown error into a failure record, with retryable set by the error', async () => {
    const retryable = await pool.run({ taskId: 't/f', name: 'always-fails', input: null, attempt: 1 });
    assert.deepEqual(retryable, { ok: false, failure: { type: 'Error', message: 'always', retryable: true, cause: undefined } });
    const permanent = await pool.run({ taskId: 't/b', name: 'bad-input', input: null, attempt: 1 });
    assert.equal(!permanent.ok && permanent.failure.retryable, false);
  });

  it('fails an unknown task name with TASK_UNKNOWN, not retryable, naming known tasks', async () => {
    const outcome = await pool.run({ taskId: 't/u', name: 'no-such-task', input: null, attempt: 1 });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.failure.type, 'TASK_UNKNOWN');
      assert.equal(outcome.failure.retryable, false);
      assert.match(outcome.failure.message, /no task named "no-such-task".*echo/);
    }
  });

  it('survives a handler that crashes its thread: the run fails WORKER_CRASHED and a new thread replaces it', async () => {
    const crashesBefore = pool.stats.crashes;
    const outcome = await pool.run({ taskId: 't/c', name: 'crash-thread', input: null, attempt: 1 });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.deepEqual([outcome.failure.type, outcome.failure.retryable], ['WORKER_CRASHED', true]);
    assert.equal(pool.stats.crashes, crashesBefore + 1);
    await waitFor(() => pool.stats.size === 2);
    const after = await pool.run({ taskId: 't/e', name: 'echo', input: 'still here', attempt: 1 });
    assert.deepEqual(after, { ok: true, output: 'still here' });
  });

  it('times out a slow task with TASK_TIMEOUT and aborts its signal', async () => {
    const outcome = await pool.run({ taskId: 't/s', name: 'sleep', input: { ms: 10_000 }, attempt: 1, timeoutMs: 50 });
    assert.equal(!outcome.ok && outcome.failure.type, 'TASK_TIMEOUT');
  });

  it('aborts a run when the caller aborts', async () => {
    const controller = new AbortController();
    const running = pool.run({ taskId: 't/a', name: 'sleep', input: { ms: 10_000 }, attempt: 1, timeoutMs: 60_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by test')), 20);
    const outcome = await running;
    assert.equal(!outcome.ok && outcome.failure.type, 'TASK_ABORTED');
  });

  it('moves large outputs to the blob store and large inputs back (claim-check)', async () => {
    const outcome = await pool.run({ taskId: 't/big', name: 'big-output', input: { size: 10_000 }, attempt: 1 });
    assert.equal(outcome.ok, true);
    if (outcome.ok) {
      const ticket = outcome.output as { $claim: { key: string; size: number } };
      assert.match(ticket.$claim.key, /^claims\//);
      const reread = await pool.run({ taskId: 't/in', name: 'input-size', input: await pool.run({ taskId: 'x', name: 'echo', input: ticket, attempt: 1 }).then((o) => (o.ok ? o.output : null)), attempt: 1 });
      assert.equal(reread.ok, true);
    }
  });

  it('grows and shrinks without losing runs in flight', async () => {
    await pool.resize(3);
    assert.equal(pool.stats.size, 3);
    const slow = pool.run({ taskId: 't/r', name: 'sleep', input: { ms: 50 }, attempt: 1 });
    await pool.resize(1);
    assert.deepEqual(await slow, { ok: true, output: { slept: 50 } });
    await waitFor(() => pool.stats.size === 1);
    await pool.resize(2);
  });
});

describe('WorkerPool grouping of runs', () => {
  let dir: TempDir;
  let pool: WorkerPool;

  before(async () => {
    dir = createTempDir();
    pool = createPool(dir);
    await pool.start();
  });
  after(async () => {
    await pool.close();
    dir.remove();
  });

  /** Starts `count` runs in one turn; returns the distinct threads they ran on. */
  async function threadsOfOneTurn(name: string, count: number, input: unknown = null): Promise<number> {
    const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => pool.run({ taskId: `g/${name}/${i}`, name, input, attempt: 1 })));
    return new Set(outcomes.map((o) => (o.ok ? o.output : -1))).size;
  }

  it('spreads a turn of a task it has not timed yet, then keeps a turn of cheap runs on one thread', async () => {
    assert.equal(await threadsOfOneTurn('which-thread', 4), 2, 'not yet timed: spread like an expensive task');
    // First runs are slow (JIT, warm-up); the estimate comes down within a few turns.
    const spreads: number[] = [];
    for (let turn = 0; turn < 10 && spreads.at(-1) !== 1; turn++) spreads.push(await threadsOfOneTurn('which-thread', 4));
    assert.equal(spreads.at(-1), 1, `cheap runs of one turn share a thread (threads per turn: ${spreads.join(', ')})`);
  });

  it('holds runs of a perThread task in the pool and gives each to the first thread with room', async () => {
    // One long run and nine short ones on two threads: handed out up front they would split 5/5 and the
    // long run's thread would work through four short ones after it; held, the other thread takes them.
    const inputs = [300, ...Array.from({ length: 9 }, () => 10)];
    const outcomes = await Promise.all(inputs.map((ms, i) => pool.run({ taskId: `h/${i}`, name: 'hold-one-per-thread', input: { ms }, attempt: 1 })));
    const outputs = outcomes.map((o) => (o.ok ? (o.output as { thread: number; most: number }) : assert.fail(JSON.stringify(o))));
    assert.ok(outputs.every((o) => o.most === 1), 'a thread never held two runs of the task at once');
    const longThread = outputs[0]!.thread;
    assert.equal(outputs.filter((o) => o.thread === longThread).length, 1, `the short runs went to the other thread (threads: ${outputs.map((o) => o.thread).join(', ')})`);
  });

  it('aborts a run still held in the pool without it ever reaching a thread', async () => {
    const running = [pool.startRun({ taskId: 'a/0', name: 'hold-one-per-thread', input: { ms: 200 }, attempt: 1 }), pool.startRun({ taskId: 'a/1', name: 'hold-one-per-thread', input: { ms: 200 }, attempt: 1 })];
    const held = pool.startRun({ taskId: 'a/2', name: 'hold-one-per-thread', input: { ms: 200 }, attempt: 1 });
    assert.equal(pool.stats.inFlight, 3, 'the held run counts as in flight');
    held.abort('no longer wanted');
    const outcome = await held.outcome;
    assert.equal(!outcome.ok && outcome.failure.type, 'TASK_ABORTED');
    await Promise.all(running.map((r) => r.outcome));
    assert.equal(pool.stats.inFlight, 0);
  });

  it('keeps spreading runs that take a thread for longer than a group may', async () => {
    assert.equal(await threadsOfOneTurn('spin', 4, { ms: 30 }), 2);
    assert.equal(await threadsOfOneTurn('spin', 4, { ms: 30 }), 2);
  });
});

describe('WorkerPool start-up errors', () => {
  it('fails start with the module error when the task module does not load', async () => {
    const dir = createTempDir();
    const pool = createPool(dir, 1, new URL('../fixtures/does-not-exist.ts', import.meta.url).href);
    await assert.rejects(pool.start(), { code: 'CONFIG_INVALID', message: /cannot load task module .*does-not-exist/ });
    dir.remove();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
