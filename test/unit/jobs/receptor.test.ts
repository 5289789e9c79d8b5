/** The receptor's checkpoint around tasks handed over in-process: a restart must offer again every task not yet settled. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { MemoryTaskQueue } from '../../../src/adapters/embedded/memory-task-queue.js';
import { SqliteCheckpointStore } from '../../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../../src/adapters/embedded/sqlite-log.js';
import type { StoredEvent } from '../../../src/ports/event-store.js';
import type { LocalTaskTarget, OfferedTask } from '../../../src/workers/local-dispatch.js';
import { Receptor } from '../../../src/jobs/receptor.js';

function scheduled(position: number, task = 'add'): StoredEvent {
  return {
    id: `e${position}`, streamId: 'process-p', version: position, position, type: 'TaskScheduled', metadata: {}, recordedAt: 0,
    data: { taskId: `p/s/${position}`, step: 's', index: position, attempt: 1, task, input: { n: position }, timeoutMs: 1000, notBefore: 0 },
  };
}

function completed(position: number): StoredEvent {
  return { id: `e${position}`, streamId: 'process-p', version: position, position, type: 'TaskCompleted', metadata: {}, recordedAt: 0, data: {} };
}

async function receptorWith(target?: LocalTaskTarget): Promise<{ receptor: Receptor; queue: MemoryTaskQueue; checkpoint: () => Promise<number | undefined>; close: () => Promise<void> }> {
  const queue = new MemoryTaskQueue();
  const checkpoints = new SqliteCheckpointStore({ path: ':memory:' });
  const log = new SqliteLog({ path: ':memory:' });
  const receptor = new Receptor({ queue, log, checkpoints, clock: new ManualClock(0), logger: silentLogger, taskQueue: 'tasks', resultQueue: 'results', controlTopic: 'control' });
  await receptor.resumePosition();
  if (target !== undefined) receptor.attachLocal(target);
  return {
    receptor, queue,
    checkpoint: async () => (await checkpoints.load('millrace.receptor'))?.offsets.events,
    close: async () => {
      await queue.close();
      await checkpoints.close();
      await log.close();
    },
  };
}

/** Takes every task whose name is not `'elsewhere'`, and keeps them for the test to settle. */
function keepingTarget(): LocalTaskTarget & { taken: Map<string, OfferedTask>; seen: string[] } {
  const taken = new Map<string, OfferedTask>();
  const seen: string[] = [];
  return {
    taken,
    seen,
    offer: (_queue, tasks) => tasks.filter((task) => {
      seen.push(task.message.id!);
      if (task.message.name === 'elsewhere') return true;
      taken.set((task.message.payload as { taskId: string }).taskId, task);
      return false;
    }),
  };
}

describe('receptor with a worker in-process', () => {
  it('publishes nothing a local worker takes, and publishes what it leaves', async () => {
    const target = keepingTarget();
    const { receptor, queue, close } = await receptorWith(target);
    try {
      await receptor.handle([scheduled(1), scheduled(2, 'elsewhere'), scheduled(3)]);
      assert.deepEqual([...target.taken.keys()], ['p/s/1', 'p/s/3']);
      assert.equal((await queue.stats('tasks')).ready, 1);
    } finally {
      await close();
    }
  });

  it('never checkpoints past a task handed over and not yet settled, whatever order they settle in', async () => {
    const target = keepingTarget();
    const { receptor, checkpoint, close } = await receptorWith(target);
    try {
      await receptor.handle([scheduled(1), scheduled(2), scheduled(3)]);
      assert.equal(await checkpoint(), undefined, 'nothing settled: a restart starts before task 1');
      target.taken.get('p/s/2')!.settled();
      await receptor.handle([completed(4)]);
      assert.equal(await checkpoint(), undefined, 'task 1 still out: still before it');
      target.taken.get('p/s/1')!.settled();
      await receptor.handle([completed(5)]);
      assert.equal(await checkpoint(), 2, 'tasks 1 and 2 settled: a restart resumes after them, before task 3');
      await receptor.flush();
      assert.equal(await checkpoint(), 2, 'a stop records no more than is settled');
      target.taken.get('p/s/3')!.settled();
      await receptor.flush();
      assert.equal(await checkpoint(), 5, 'all settled: the position handled');
    } finally {
      await close();
    }
  });

  it('offers a restart every task not settled before it stopped, and none settled', async () => {
    const queue = new MemoryTaskQueue();
    const checkpoints = new SqliteCheckpointStore({ path: ':memory:' });
    const log = new SqliteLog({ path: ':memory:' });
    const open = async (target: LocalTaskTarget): Promise<Receptor> => {
      const receptor = new Receptor({ queue, log, checkpoints, clock: new ManualClock(0), logger: silentLogger, taskQueue: 'tasks', resultQueue: 'results', controlTopic: 'control' });
      await receptor.resumePosition();
      receptor.attachLocal(target);
      // The feed reads from the start; the receptor skips what its checkpoint covers.
      await receptor.handle([scheduled(1), scheduled(2), scheduled(3), scheduled(4)]);
      return receptor;
    };
    try {
      const first = keepingTarget();
      const before = await open(first);
      first.taken.get('p/s/1')!.settled();
      first.taken.get('p/s/2')!.settled();
      first.taken.get('p/s/4')!.settled();
      await before.flush(); // the process dies after this: task 3 was taken and never settled
      const second = keepingTarget();
      await open(second);
      assert.deepEqual([...second.taken.keys()], ['p/s/3', 'p/s/4'], 'task 3 again (and 4, after it); 1 and 2 not');
    } finally {
      await queue.close();
      await checkpoints.close();
      await log.close();
    }
  });

  it('after a failed publish, reads the page again without offering twice what a worker holds, and never checkpoints past a task taken late', async () => {
    const target = keepingTarget();
    const { receptor, queue, checkpoint, close } = await receptorWith(target);
    const publish = queue.publish.bind(queue);
    let failing = true;
    queue.publish = async (name, messages) => {
      if (failing) throw new Error('queue unavailable');
      return publish(name, messages);
    };
    try {
      const page = [scheduled(1), scheduled(2, 'elsewhere'), scheduled(3)];
      await assert.rejects(receptor.handle(page), /queue unavailable/);
      assert.deepEqual([...target.taken.keys()], ['p/s/1', 'p/s/3'], 'the worker took two; the third was to be published');
      failing = false;
      let offeredAgain: string[] = [];
      const takeAll: LocalTaskTarget = {
        offer: (_queue, tasks) => {
          offeredAgain = tasks.map((task) => task.message.id!);
          for (const task of tasks) target.taken.set((task.message.payload as { taskId: string }).taskId, task);
          return [];
        },
      };
      receptor.attachLocal(takeAll);
      await receptor.handle(page); // the feed reads the page again
      assert.deepEqual(offeredAgain, ['p/s/2#1'], 'only the task nobody holds is offered again');
      assert.deepEqual(target.seen, ['p/s/1#1', 'p/s/2#1', 'p/s/3#1', 'p/s/2#1'], 'tasks 1 and 3 were offered once');
      target.taken.get('p/s/1')!.settled();
      await receptor.handle([completed(4)]);
      assert.equal(await checkpoint(), 1, 'task 2, taken last, is still out: the position stays before it, though task 3 after it was taken first');
      target.taken.get('p/s/3')!.settled();
      await receptor.flush();
      assert.equal(await checkpoint(), 1, 'still before task 2');
      target.taken.get('p/s/2')!.settled();
      await receptor.flush();
      assert.equal(await checkpoint(), 4);
    } finally {
      await close();
    }
  });

  it('records no more than the page handled on stop, when a failed publish left a task before the held ones unpublished', async () => {
    const target = keepingTarget();
    const { receptor, queue, checkpoint, close } = await receptorWith(target);
    queue.publish = async () => {
      throw new Error('queue unavailable');
    };
    try {
      await assert.rejects(receptor.handle([scheduled(1, 'elsewhere'), scheduled(2)]), /queue unavailable/);
      await receptor.flush();
      assert.equal(await checkpoint(), undefined, 'task 1 was never published: a restart must read it again');
    } finally {
      await close();
    }
  });
});
