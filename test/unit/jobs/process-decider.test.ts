/** Specifications of the process aggregate: given events, when a command, then events. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { given, type ProcessEvent } from '../../../src/testing/index.js';
import { deadline, squares } from '../../fixtures/processes.js';

const started: ProcessEvent = { type: 'ProcessStarted', data: { processId: 'p', definition: 'squares', version: 1, input: { n: 2 }, startedAt: 0 } };
const numbersStarted: ProcessEvent = { type: 'StepStarted', data: { step: 'numbers', tasks: 1, startedAt: 0 } };
const numbersScheduled: ProcessEvent = { type: 'TaskScheduled', data: { taskId: 'p/numbers/0', step: 'numbers', index: 0, attempt: 1, task: 'range', input: { n: 2 }, timeoutMs: 300_000, notBefore: 0, scheduledAt: 0 } };
const numbersCompleted: ProcessEvent = { type: 'TaskCompleted', data: { taskId: 'p/numbers/0', attempt: 1, output: [1, 2], completedAt: 5 } };
const squaredStarted: ProcessEvent = { type: 'StepStarted', data: { step: 'squared', tasks: 2, startedAt: 5 } };
const squared = (index: number, attempt = 1, at = 5): ProcessEvent => ({
  type: 'TaskScheduled',
  data: { taskId: `p/squared/${index}`, step: 'squared', index, attempt, task: 'square', input: index + 1, timeoutMs: 300_000, notBefore: at, scheduledAt: at },
});
const running = [started, numbersStarted, numbersScheduled, numbersCompleted, squaredStarted, squared(0), squared(1)];

describe('process aggregate', () => {
  it('starts the steps without parents', () => {
    given(squares, [])
      .when({ type: 'StartProcess', processId: 'p', definition: 'squares', version: 1, input: { n: 2 }, now: 0 })
      .thenOutcome('applied')
      .then([started, numbersStarted, numbersScheduled]);
  });

  it('fans out one task per item when a parent completes', () => {
    given(squares, [started, numbersStarted, numbersScheduled])
      .when({ type: 'CompleteTask', taskId: 'p/numbers/0', attempt: 1, output: [1, 2], now: 5 })
      .then([numbersCompleted, squaredStarted, squared(0), squared(1)]);
  });

  it('waits for every task of a batch and every parent before a step starts (fan-in)', () => {
    given(squares, running)
      .when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 1, output: 1, now: 6 })
      .then([{ type: 'TaskCompleted', data: { taskId: 'p/squared/0', attempt: 1, output: 1, completedAt: 6 } }]);
    given(squares, [...running, { type: 'TaskCompleted', data: { taskId: 'p/squared/0', attempt: 1, output: 1, completedAt: 6 } }])
      .when({ type: 'CompleteTask', taskId: 'p/squared/1', attempt: 1, output: 4, now: 7 })
      .then([
        { type: 'TaskCompleted', data: { taskId: 'p/squared/1', attempt: 1, output: 4, completedAt: 7 } },
        { type: 'StepStarted', data: { step: 'total', tasks: 1, startedAt: 7 } },
        { type: 'TaskScheduled', data: { taskId: 'p/total/0', step: 'total', index: 0, attempt: 1, task: 'sum', input: { values: [1, 4], plus: 2 }, timeoutMs: 300_000, notBefore: 7, scheduledAt: 7 } },
      ]);
  });

  it('records the tag of the worker that ran a task, and nothing when it had none', () => {
    given(squares, running)
      .when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 1, output: 1, tag: 'v2', now: 6 })
      .then([{ type: 'TaskCompleted', data: { taskId: 'p/squared/0', attempt: 1, output: 1, tag: 'v2', completedAt: 6 } }]);
    const failed = given(squares, running).when({ type: 'FailTask', taskId: 'p/squared/0', attempt: 1, failure: { type: 'Error', message: 'x', retryable: true }, tag: 'v2,gpu', now: 6 });
    assert.equal((failed.events[0] as Extract<ProcessEvent, { type: 'TaskFailed' }>).data.tag, 'v2,gpu');
    const untagged = given(squares, running).when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 1, output: 1, now: 6 });
    assert.ok(!('tag' in (untagged.events[0] as Extract<ProcessEvent, { type: 'TaskCompleted' }>).data), 'histories of untagged workers read as before');
  });

  it('drops a completion for a task already confirmed', () => {
    given(squares, running).when({ type: 'CompleteTask', taskId: 'p/numbers/0', attempt: 1, output: [9, 9], now: 9 }).thenOutcome('duplicate').then([]);
  });

  it('retries a failed task with backoff, and rejects a late result from the superseded attempt', () => {
    const failure = { type: 'Error', message: 'boom', retryable: true };
    const retried = given(squares, running).when({ type: 'FailTask', taskId: 'p/squared/0', attempt: 1, failure, now: 10 });
    const [, retry, rescheduled] = retried.events;
    assert.deepEqual(retried.events[0], { type: 'TaskFailed', data: { taskId: 'p/squared/0', attempt: 1, failure, failedAt: 10 } });
    assert.equal(retry!.type, 'TaskRetried');
    const delay = (retry as Extract<ProcessEvent, { type: 'TaskRetried' }>).data.delayMs;
    assert.ok(delay >= 0 && delay <= 500, 'full jitter within the first backoff step');
    assert.deepEqual(rescheduled, { ...squared(0, 2, 10), data: { ...squared(0, 2, 10).data, notBefore: 10 + delay } } as ProcessEvent);
    // Deterministic: the same history and command decide the same delay.
    assert.deepEqual(given(squares, running).when({ type: 'FailTask', taskId: 'p/squared/0', attempt: 1, failure, now: 10 }).events, retried.events);

    given(squares, [...running, ...retried.events])
      .when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 1, output: 1, now: 11 })
      .thenOutcome('superseded')
      .then([]);
  });

  it('fails the process after the last attempt, naming the step', () => {
    const history: ProcessEvent[] = [...running];
    for (let attempt = 1; attempt < 3; attempt++) {
      const failure = { type: 'Error', message: `boom ${attempt}`, retryable: true };
      history.push(...given(squares, history).when({ type: 'FailTask', taskId: 'p/squared/1', attempt, failure, now: 10 * attempt }).events);
    }
    const last = given(squares, history).when({ type: 'FailTask', taskId: 'p/squared/1', attempt: 3, failure: { type: 'Error', message: 'boom 3', retryable: true }, now: 40 });
    assert.deepEqual(last.events.map((e) => e.type), ['TaskFailed', 'ProcessFailed']);
    assert.match((last.events[1] as Extract<ProcessEvent, { type: 'ProcessFailed' }>).data.reason, /step "squared" task 1 failed after 3 attempts: boom 3/);
    assert.equal(last.state?.status, 'failed');
  });

  it('records a worker-side timeout as TaskTimedOut', () => {
    const result = given(squares, running).when({ type: 'FailTask', taskId: 'p/squared/0', attempt: 1, failure: { type: 'TASK_TIMEOUT', message: 'slow', retryable: true }, now: 10 });
    assert.deepEqual(result.events.map((e) => e.type), ['TaskTimedOut', 'TaskRetried', 'TaskScheduled']);
  });

  it('times out a task past its deadline, and ignores TryTimeoutTask before it', () => {
    const scheduled: ProcessEvent[] = [
      { type: 'ProcessStarted', data: { processId: 'd', definition: 'deadline', version: 1, input: null, startedAt: 0 } },
      { type: 'StepStarted', data: { step: 'slow', tasks: 1, startedAt: 0 } },
      { type: 'TaskScheduled', data: { taskId: 'd/slow/0', step: 'slow', index: 0, attempt: 1, task: 'hang', input: null, timeoutMs: 300_000, notBefore: 0, deadlineAt: 1000, scheduledAt: 0 } },
    ];
    given(deadline, scheduled).when({ type: 'TryTimeoutTask', taskId: 'd/slow/0', attempt: 1, now: 999 }).thenOutcome('ignored').then([]);
    const timedOut = given(deadline, scheduled).when({ type: 'TryTimeoutTask', taskId: 'd/slow/0', attempt: 1, now: 1000 });
    assert.deepEqual(timedOut.events.map((e) => e.type), ['TaskTimedOut', 'TaskRetried', 'TaskScheduled']);
    assert.equal((timedOut.events[2] as Extract<ProcessEvent, { type: 'TaskScheduled' }>).data.deadlineAt, 1000 + 10 + 1000);
  });

  it('cancels: nothing more is scheduled and later results are ignored', () => {
    const cancelled = given(squares, running).when({ type: 'CancelProcess', reason: 'operator', now: 20 });
    cancelled.then([{ type: 'ProcessCancelled', data: { reason: 'operator', cancelledAt: 20 } }]);
    given(squares, [...running, ...cancelled.events]).when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 1, output: 1, now: 21 }).thenOutcome('ignored').then([]);
    given(squares, [...running, ...cancelled.events]).when({ type: 'CancelProcess', reason: 'again', now: 22 }).thenOutcome('ignored');
  });

  it('fails the process, naming the step, when a step function throws', () => {
    const result = given(squares, [started, numbersStarted, numbersScheduled]).when({ type: 'CompleteTask', taskId: 'p/numbers/0', attempt: 1, output: 'not an array', now: 5 });
    assert.deepEqual(result.events.map((e) => e.type), ['TaskCompleted', 'ProcessFailed']);
    assert.match((result.events[1] as Extract<ProcessEvent, { type: 'ProcessFailed' }>).data.reason, /step "squared" items threw: items must return an array/);
  });

  it('starts a process once', () => {
    given(squares, running).when({ type: 'StartProcess', processId: 'p', definition: 'squares', version: 1, input: { n: 2 }, now: 30 }).thenOutcome('duplicate').then([]);
  });

  describe('a retry by request (RetryTask)', () => {
    const fatal = { type: 'Error', message: 'bad data', retryable: false };
    /** squared/1 fails with a non-retryable error while squared/0 still runs: the process fails. */
    const failedHistory = (): ProcessEvent[] => [...running, ...given(squares, running).when({ type: 'FailTask', taskId: 'p/squared/1', attempt: 1, failure: fatal, now: 10 }).events];

    it('resumes the process and gives every task not completed a new attempt, now', () => {
      const history = failedHistory();
      assert.deepEqual(history.slice(-2).map((e) => e.type), ['TaskFailed', 'ProcessFailed']);
      const retried = given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).thenOutcome('applied');
      retried.then([
        { type: 'ProcessResumed', data: { taskId: 'p/squared/1', resumedAt: 50 } },
        { type: 'TaskRetried', data: { taskId: 'p/squared/0', attempt: 2, delayMs: 0, retriedAt: 50, requested: true } },
        squared(0, 2, 50),
        { type: 'TaskRetried', data: { taskId: 'p/squared/1', attempt: 2, delayMs: 0, retriedAt: 50, requested: true } },
        squared(1, 2, 50),
      ]);
      assert.equal(retried.state?.status, 'running');
      assert.equal(retried.state?.failure, undefined);
      assert.equal(retried.state?.finishedAt, undefined);
    });

    it('keeps fencing: a late result of an attempt from before the retry is superseded', () => {
      const history = failedHistory();
      const resumed = [...history, ...given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).events];
      given(squares, resumed).when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 1, output: 1, now: 51 }).thenOutcome('superseded').then([]);
      given(squares, resumed).when({ type: 'CompleteTask', taskId: 'p/squared/1', attempt: 1, output: 4, now: 51 }).thenOutcome('superseded').then([]);
    });

    it('completes the process once the retried tasks complete', () => {
      const history = failedHistory();
      history.push(...given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).events);
      history.push(...given(squares, history).when({ type: 'CompleteTask', taskId: 'p/squared/0', attempt: 2, output: 1, now: 51 }).events);
      history.push(...given(squares, history).when({ type: 'CompleteTask', taskId: 'p/squared/1', attempt: 2, output: 4, now: 52 }).events);
      const done = given(squares, history).when({ type: 'CompleteTask', taskId: 'p/total/0', attempt: 1, output: 7, now: 53 });
      assert.deepEqual(done.events.map((e) => e.type), ['TaskCompleted', 'ProcessCompleted']);
      assert.equal(done.state?.status, 'completed');
    });

    it('fails the process again when the new attempt fails: one request buys one attempt', () => {
      const history = failedHistory();
      history.push(...given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).events);
      const again = given(squares, history).when({ type: 'FailTask', taskId: 'p/squared/1', attempt: 2, failure: fatal, now: 60 });
      assert.deepEqual(again.events.map((e) => e.type), ['TaskFailed', 'ProcessFailed']);
    });

    it('ignores a retry of a running process, of a task that did not fail it, of an unknown task, and of a cancelled process', () => {
      given(squares, running).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).thenOutcome('ignored').then([]);
      const history = failedHistory();
      given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/0', now: 50 }).thenOutcome('ignored').then([]);
      given(squares, history).when({ type: 'RetryTask', taskId: 'p/nothing/0', now: 50 }).thenOutcome('ignored').then([]);
      const cancelled = [...running, { type: 'ProcessCancelled', data: { reason: 'operator', cancelledAt: 20 } } as ProcessEvent];
      given(squares, cancelled).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).thenOutcome('ignored').then([]);
    });

    it('decides the same events from the same history (replay)', () => {
      const history = failedHistory();
      assert.deepEqual(
        given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).events,
        given(squares, history).when({ type: 'RetryTask', taskId: 'p/squared/1', now: 50 }).events,
      );
    });
  });
});
