/**
 * @module queries/worker/serve-strips
 * A query worker in this thread: consumes the query queue and answers each
 * strip with a `TaskResult`, the same reply a `TaskWorker` running
 * {@link stripTask} on a thread pool gives, so a gatherer cannot tell them
 * apart. For a process that serves queries without worker threads (and
 * for tests); the thread pool is the embedded default (docs/queries.md).
 *
 * A retryable failure (a read that failed) is handed back to the queue
 * after a short delay so another consumer can take it; when attempts run
 * out, or at once for a failure a retry cannot fix, the failure is the
 * reply.
 */
import { SystemClock, type Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { toFailure } from '../../core/failure.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { Consumer, TaskQueue } from '../../ports/task-queue.js';
import { parseTaskPayload } from '../../workers/task-message.js';
import { computeStrip } from '../compute/compute-strip.js';
import { parseStripTask, STRIP_TASK } from '../plan/strip-task.js';
import { QUERY_QUEUE } from '../scatter/queue-strip-runner.js';
import { RENDER_TASK, runRenderTask } from '../render/render-task.js';

export interface ServeStripsOptions {
  queue: TaskQueue;
  blobs: BlobStore;
  /** @defaultValue {@link QUERY_QUEUE} */
  queueName?: string;
  /** Strips computed at once (they wait on reads, so more than one per core helps). @defaultValue 4 */
  concurrency?: number;
  /** Delay before a failed strip is offered again. @defaultValue 10 ms */
  retryDelayMs?: number;
  clock?: Clock;
}

/** Failure types a retry cannot fix: replied at once. */
export const NON_RETRYABLE_STRIP_FAILURES: readonly string[] = ['STORAGE_CORRUPT', 'QUERY_INVALID', 'QUERY_DEADLINE_EXCEEDED', 'QUEUE_MESSAGE_INVALID', 'TASK_UNKNOWN'];

export function serveStrips(options: ServeStripsOptions): Consumer {
  const clock = options.clock ?? new SystemClock();
  return options.queue.consume(options.queueName ?? QUERY_QUEUE, async (delivery) => {
    const started = clock.now();
    let taskId = delivery.id;
    try {
      if (delivery.name !== STRIP_TASK && delivery.name !== RENDER_TASK) throw new MillraceError('TASK_UNKNOWN', `unknown task ${delivery.name} on the query queue`, { task: delivery.name });
      const payload = parseTaskPayload(delivery.payload);
      taskId = payload.taskId;
      const output = delivery.name === RENDER_TASK ? runRenderTask(payload.input) : await computeStrip(parseStripTask(payload.input), options.blobs, () => clock.now());
      await delivery.reply({ taskId, name: delivery.name, attempt: delivery.attempt, ok: true, output, durationMs: clock.now() - started });
    } catch (error) {
      const failure = toFailure(error);
      const retryable = failure.retryable && !NON_RETRYABLE_STRIP_FAILURES.includes(failure.type);
      if (retryable && delivery.attempt < delivery.maxAttempts) {
        await delivery.nack({ requeue: true, delayMs: options.retryDelayMs ?? 10, reason: failure.message });
        return;
      }
      const result = { taskId, name: delivery.name, attempt: delivery.attempt, ok: false, failure: { ...failure, retryable }, durationMs: clock.now() - started };
      if (delivery.expectsReply) await delivery.reply(result);
      else await delivery.nack({ requeue: false, reason: failure.message });
    }
  }, { concurrency: options.concurrency ?? 4, leaseMs: 30_000 });
}
