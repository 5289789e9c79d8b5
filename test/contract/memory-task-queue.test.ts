/** Runs the TaskQueue contract against MemoryTaskQueue (not durable: no reopen). */
import { ManualClock } from '../../src/core/clock.js';
import { MemoryTaskQueue } from '../../src/adapters/embedded/memory-task-queue.js';
import { taskQueueContract } from './task-queue.contract.js';

taskQueueContract('MemoryTaskQueue', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const queue = new MemoryTaskQueue({ clock });
  return { queue, clock, cleanup: () => queue.close() };
});
