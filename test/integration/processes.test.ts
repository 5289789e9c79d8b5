/** Processes end to end: the orchestrator, the durable queue and real worker threads. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMillrace, type Millrace, type RunningWorker } from '../../src/runtime/millrace.js';
import type { OutgoingMessage, TaskQueue } from '../../src/ports/task-queue.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { conditional, flaky, hanging, rejecting, squares, squaresV2, unserialisable } from '../fixtures/processes.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

describe('processes', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let worker: RunningWorker;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 2, logLevel: 'silent' });
    worker = await millrace.startWorker({ tasks });
  });
  after(async () => {
    await millrace.close();
    dir.remove();
  });

  it('runs a DAG with fan-out, fan-in and a step with two parents', async () => {
    const view = await millrace.runProcess(squares, { n: 20 });
    assert.equal(view.status, 'completed');
    const expected = Array.from({ length: 20 }, (_, i) => (i + 1) ** 2).reduce((a, b) => a + b, 0) + 20;
    assert.equal(view.output, expected);
    assert.deepEqual(view.steps.map((s) => [s.name, s.status, s.tasks, s.completed]), [['numbers', 'completed', 1, 1], ['squared', 'completed', 20, 20], ['total', 'completed', 1, 1]]);
  });

  it('keeps the version a process started with while a new version is registered', async () => {
    const v1 = await millrace.runProcess(squares, { n: 3 });
    const v2 = await millrace.runProcess(squaresV2, { n: 3 });
    assert.deepEqual([v1.version, v1.output, v2.version, v2.output], [1, 14 + 3, 2, 14]);
    const again = await millrace.orchestrator.get(v1.processId);
    assert.equal(again.version, 1);
  });

  it('retries failed tasks per the step policy, and the history shows each attempt', async () => {
    const view = await millrace.runProcess(flaky, { n: 5 });
    assert.equal(view.status, 'completed');
    assert.deepEqual(view.output, [1, 4, 9, 16, 25]);
    const history = await millrace.orchestrator.history(view.processId);
    const count = (type: string): number => history.filter((e) => e.type === type).length;
    assert.deepEqual([count('TaskFailed'), count('TaskRetried'), count('TaskCompleted')], [5, 5, 6]);
  });

  it('fails the process at once on a non-retryable error, naming the step', async () => {
    const view = await millrace.runProcess(rejecting, null);
    assert.equal(view.status, 'failed');
    assert.match(view.failure!.reason, /step "only" task 0 failed with a non-retryable error: this input is never acceptable/);
  });

  it('finishes skipped steps and empty batches without tasks', async () => {
    assert.deepEqual((await millrace.runProcess(conditional, { describe: false })).output, { none: [], maybe: null });
    assert.deepEqual((await millrace.runProcess(conditional, { describe: true })).output, { none: [], maybe: { described: { describe: true } } });
  });

  it('cancels a running process: running tasks are aborted, nothing more is scheduled', async () => {
    millrace.orchestrator.register(hanging);
    const processId = await millrace.orchestrator.startProcess('hanging', null);
    await waitFor(async () => worker.pool.stats.inFlight === 3);
    assert.equal(await millrace.orchestrator.cancel(processId, 'test is done'), true);
    const view = await millrace.orchestrator.wait(processId);
    assert.deepEqual([view.status, view.cancelReason], ['cancelled', 'test is done']);
    await waitFor(async () => worker.pool.stats.inFlight === 0);
    assert.equal(await millrace.orchestrator.cancel(processId), false, 'cancelling twice does nothing');
  });

  it('fails a task whose result cannot travel as JSON, naming where, without retrying', async () => {
    const view = await millrace.runProcess(unserialisable, null);
    assert.equal(view.status, 'failed');
    assert.match(view.failure!.reason, /step "count" task 0 failed with a non-retryable error: task "map-result" returned a value that cannot travel as JSON: the result\.counts is a Map \(it would arrive as \{\}/);
    const history = await millrace.orchestrator.history(view.processId);
    assert.equal(history.filter((e) => e.type === 'TaskScheduled').length, 1, 'not retried');
  });

  it('names unknown processes and definitions', async () => {
    await assert.rejects(millrace.orchestrator.get('no-such-process'), { code: 'PROCESS_NOT_FOUND' });
    await assert.rejects(millrace.orchestrator.startProcess('no-such-definition', null), { code: 'PROCESS_DEFINITION_UNKNOWN', message: /no process named "no-such-definition"/ });
    await assert.rejects(millrace.orchestrator.startProcess('squares', null, { version: 9 }), { code: 'PROCESS_DEFINITION_UNKNOWN', message: /has no version 9 \(registered: 1, 2\)/ });
  });

  it('starts a process once for the same id', async () => {
    const id = 'same-id-twice';
    await millrace.orchestrator.startProcess('squares', { n: 2 }, { processId: id, version: 1 });
    await millrace.orchestrator.startProcess('squares', { n: 2 }, { processId: id, version: 1 });
    const view = await millrace.orchestrator.wait(id);
    assert.equal(view.output, 5 + 2);
    assert.equal((await millrace.orchestrator.history(id)).filter((e) => e.type === 'ProcessStarted').length, 1);
  });
});

describe('processes: where results travel, what the receptor records', () => {
  /** An engine whose queue counts the messages published to each queue. */
  async function countingEngine(resultsInProcess: boolean, localDispatch = true): Promise<{ millrace: Millrace; published: Map<string, number>; dir: TempDir }> {
    const dir = createTempDir();
    const published = new Map<string, number>();
    const millrace = await createMillrace({
      dataDir: dir.path, threads: 1, logLevel: 'silent',
      wrap: {
        queue: (inner) => {
          const queue = Object.create(inner) as TaskQueue;
          queue.publish = (name: string, messages: OutgoingMessage | readonly OutgoingMessage[]) => {
            published.set(name, (published.get(name) ?? 0) + (Array.isArray(messages) ? messages.length : 1));
            return inner.publish(name, messages);
          };
          queue.consume = inner.consume.bind(inner);
          queue.close = inner.close.bind(inner);
          return queue;
        },
      },
    });
    await millrace.startWorker({ tasks, resultsInProcess, ...(localDispatch ? {} : { localDispatch: false }) });
    return { millrace, published, dir };
  }

  /** Runs `test` on a counting engine (see above), then closes it and removes its directory. */
  async function withCountingEngine(resultsInProcess: boolean, localDispatch: boolean, test: (engine: { millrace: Millrace; published: Map<string, number> }) => Promise<void>): Promise<void> {
    const { millrace, published, dir } = await countingEngine(resultsInProcess, localDispatch);
    try {
      await test({ millrace, published });
    } finally {
      await millrace.close();
      dir.remove();
    }
  }

  it('hands tasks to the worker and results to the orchestrator in the same process, through neither queue', async () => {
    await withCountingEngine(true, true, async ({ millrace, published }) => {
      const view = await millrace.runProcess(squares, { n: 10 });
      assert.equal(view.output, 385 + 10);
      assert.equal(published.get('tasks') ?? 0, 0);
      assert.equal(published.get(millrace.orchestrator.resultQueue) ?? 0, 0);
    });
  });

  it('publishes every task when the worker takes none in-process, as a worker in another process', async () => {
    await withCountingEngine(true, false, async ({ millrace, published }) => {
      const view = await millrace.runProcess(squares, { n: 10 });
      assert.equal(view.output, 385 + 10);
      assert.equal(published.get('tasks'), 12);
    });
  });

  it('sends results through the result queue when told to, as a worker in another process does', async () => {
    await withCountingEngine(false, true, async ({ millrace, published }) => {
      const view = await millrace.runProcess(squares, { n: 10 });
      assert.equal(view.output, 385 + 10);
      assert.equal(published.get(millrace.orchestrator.resultQueue), 12);
    });
  });

  it('checkpoints the receptor after publishing and on stop, not after every page', async () => {
    await withCountingEngine(true, false, async ({ millrace }) => {
      const view = await millrace.runProcess(squares, { n: 10 });
      const history = await millrace.orchestrator.history(view.processId);
      const lastScheduled = history.filter((e) => e.type === 'TaskScheduled').at(-1)!.position;
      const running = await millrace.checkpoints.load('millrace.receptor');
      assert.ok(running!.offsets.events! >= lastScheduled, 'the page that published the last task is recorded');
      await millrace.orchestrator.stop();
      const stopped = await millrace.checkpoints.load('millrace.receptor');
      assert.equal(stopped!.offsets.events, history.at(-1)!.position, 'on stop the position reached is recorded');
    });
  });

  it('checkpoints the receptor past tasks handed over in-process once they are stored, on stop at the latest', async () => {
    await withCountingEngine(true, true, async ({ millrace }) => {
      const view = await millrace.runProcess(squares, { n: 10 });
      const history = await millrace.orchestrator.history(view.processId);
      await millrace.orchestrator.stop();
      const stopped = await millrace.checkpoints.load('millrace.receptor');
      assert.equal(stopped!.offsets.events, history.at(-1)!.position, 'every task settled: the position reached is recorded');
    });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
