/**
 * @module adapters/embedded/memory-task-queue
 * The ephemeral embedded `TaskQueue`, for traffic that is worthless after a
 * restart (query request/reply) and for tests. It keeps every promise of the
 * port except one: **nothing survives the process**. `publish` resolves when
 * the message is in memory, not on disk.
 */
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { TaskQueue } from '../../ports/task-queue.js';
import { QueueEngine, resolveTuning } from '../common/queue-engine.js';
import { MemoryQueueStore } from './memory-queue-store.js';

/** Options of {@link MemoryTaskQueue}. */
export interface MemoryTaskQueueOptions {
  /** Source of time for leases, delays and timeouts. @defaultValue a `SystemClock` */
  clock?: Clock;
  /** @defaultValue `silentLogger` */
  logger?: Logger;
  /** Deliveries before a message is dead-lettered, when the message names none. @defaultValue 5 */
  maxAttempts?: number;
  /** How often idle consumers look for delayed messages falling due and lapsed leases. @defaultValue 100 */
  pollIntervalMs?: number;
  /** Lease length when `consume` names none. @defaultValue 30 000 */
  defaultLeaseMs?: number;
}

/**
 * An in-memory task queue.
 *
 * @example
 * ```ts
 * const queue = new MemoryTaskQueue()
 * queue.consume('tiles', async (d) => d.reply(render(d.payload)), { concurrency: 4 })
 * const png = await queue.request('tiles', { name: 'render', payload: { x: 1, y: 2 } }, { timeoutMs: 500 })
 * ```
 */
export class MemoryTaskQueue extends QueueEngine implements TaskQueue {
  constructor(options: MemoryTaskQueueOptions = {}) {
    const tuning = resolveTuning(options);
    const clock = options.clock ?? new SystemClock();
    super({
      store: new MemoryQueueStore(clock),
      clock,
      logger: (options.logger ?? silentLogger).child({ component: 'memory-task-queue' }),
      ...tuning,
      instanceId: newId(),
    });
  }
}
