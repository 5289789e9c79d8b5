/**
 * @module adapters/embedded/sqlite-task-queue
 * The durable embedded `TaskQueue`: one SQLite file (WAL, `synchronous =
 * FULL`) shared by any number of queues, consumers and processes on one
 * machine.
 *
 * How it keeps the port's promises, and where to look:
 * - durable before resolved, at speed: group commit, one transaction and one
 *   fsync per event-loop turn for everything submitted in it (`group-commit.ts`);
 *   a turn of only leases and acks skips the fsync, since losing one to a
 *   power cut only delivers a message again;
 * - batch leasing in one statement, fenced by (row, attempt), dead letters,
 *   crash recovery (`sqlite-queue-store.ts`, `sqlite-queue-owners.ts`, SQL in
 *   `sqlite-task-queue-sql.ts`);
 * - consumers, settlement and request/reply are shared with the memory queue
 *   (`../common/`).
 */
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { TaskQueue } from '../../ports/task-queue.js';
import { QueueEngine, resolveTuning } from '../common/queue-engine.js';
import { SqliteQueueStore } from './sqlite-queue-store.js';

/** Options of {@link SqliteTaskQueue}. */
export interface SqliteTaskQueueOptions {
  /** Database file; created with its directory if missing. May be shared with other embedded stores. */
  path: string;
  /** Source of time for leases, delays and timeouts. @defaultValue a `SystemClock` */
  clock?: Clock;
  /** @defaultValue `silentLogger` */
  logger?: Logger;
  /** Deliveries before a message is dead-lettered, when the message names none. @defaultValue 5 */
  maxAttempts?: number;
  /**
   * How often idle consumers look for delayed messages falling due, lapsed
   * leases and rows written by other processes. Publishes in this process
   * wake consumers at once regardless. @defaultValue 100
   */
  pollIntervalMs?: number;
  /** Lease length when `consume` names none. @defaultValue 30 000 */
  defaultLeaseMs?: number;
}

/**
 * A durable task queue in a SQLite file.
 *
 * @example
 * ```ts
 * const queue = new SqliteTaskQueue({ path: '.millrace/queue.db' })
 * await queue.publish('resize', { name: 'resize', payload: { image: ref } })
 * const consumer = queue.consume('resize', async (d) => resize(d.payload), { concurrency: 8 })
 * // ...
 * await consumer.stop()
 * await queue.close()
 * ```
 */
export class SqliteTaskQueue extends QueueEngine implements TaskQueue {
  constructor(options: SqliteTaskQueueOptions) {
    const tuning = resolveTuning(options);
    const clock = options.clock ?? new SystemClock();
    const logger = (options.logger ?? silentLogger).child({ component: 'sqlite-task-queue' });
    const instanceId = newId();
    super({
      store: new SqliteQueueStore({ path: options.path, clock, logger, ownerId: instanceId }),
      clock,
      logger,
      ...tuning,
      instanceId,
    });
  }
}
