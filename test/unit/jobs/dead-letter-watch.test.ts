import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { MemoryTaskQueue } from '../../../src/adapters/embedded/memory-task-queue.js';
import { DeadLetterWatch } from '../../../src/jobs/dead-letter-watch.js';
import type { ProcessCommand } from '../../../src/jobs/process-commands.js';
import type { CommandResult } from '../../../src/jobs/process-manager.js';

describe('DeadLetterWatch', () => {
  it('fails the attempt of each dead-lettered process task once, and leaves other letters alone', async () => {
    const queue = new MemoryTaskQueue();
    try {
      await queue.publish('tasks', [
        { id: 'p1/step/0#2', name: 'crashy', payload: { taskId: 'p1/step/0', input: 1, attempt: 2 } },
        { id: 'batch-7', name: 'crashy', payload: { taskId: 'b/7', input: 1 } },
        { id: 'junk', name: 'crashy', payload: 'not a task' },
      ]);
      const consumer = queue.consume('tasks', (delivery) => delivery.nack({ requeue: false, reason: 'lease expired after 10 attempts' }), { concurrency: 3 });
      while ((await queue.deadLetters('tasks')).length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      await consumer.stop();

      const sent: Array<{ processId: string; command: ProcessCommand }> = [];
      const watch = new DeadLetterWatch({
        queue, queues: () => ['tasks'], clock: new ManualClock(100), logger: silentLogger,
        manager: { execute: async (processId, command) => {
          sent.push({ processId, command });
          return { outcome: 'applied', events: [] } as unknown as CommandResult;
        } },
      });
      assert.equal(await watch.check(), 1);
      assert.equal(await watch.check(), 0, 'a letter is passed on once');
      assert.equal(sent.length, 1);
      const { processId, command } = sent[0]!;
      assert.equal(processId, 'p1');
      assert.equal(command.type, 'FailTask');
      assert.deepEqual(command.type === 'FailTask' && { taskId: command.taskId, attempt: command.attempt, type: command.failure.type, retryable: command.failure.retryable },
        { taskId: 'p1/step/0', attempt: 2, type: 'TASK_DEAD_LETTERED', retryable: true });
      assert.match(command.type === 'FailTask' ? command.failure.message : '', /dead-lettered after 1 deliveries: lease expired/);
    } finally {
      await queue.close();
    }
  });

  it('tries again next round when the process could not be told', async () => {
    const queue = new MemoryTaskQueue();
    try {
      await queue.publish('tasks', { id: 'p2/s/0#1', name: 't', payload: { taskId: 'p2/s/0', input: null, attempt: 1 } });
      const consumer = queue.consume('tasks', (delivery) => delivery.nack({ requeue: false }), { concurrency: 1 });
      while ((await queue.deadLetters('tasks')).length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
      await consumer.stop();
      let calls = 0;
      const watch = new DeadLetterWatch({
        queue, queues: () => ['tasks'], clock: new ManualClock(0), logger: silentLogger,
        manager: { execute: async () => {
          if (++calls === 1) throw new Error('store unavailable');
          return { outcome: 'applied', events: [] } as unknown as CommandResult;
        } },
      });
      assert.equal(await watch.check(), 0);
      assert.equal(await watch.check(), 1);
    } finally {
      await queue.close();
    }
  });
});
