/**
 * @module queries/worker/query-tasks
 * The task module of query workers on threads: a `WorkerPool` loads it and
 * a `TaskWorker` feeds the pool from the query queue
 * (`millrace.queries`), replying to each strip's request with its
 * `TaskResult`. Retries are quick (a query's deadline is seconds) and never
 * for failures a retry cannot fix.
 *
 * Strip answers are a few hundred kilobytes: give the pool a
 * claim-check threshold above that (`claimCheckBytes` of 16 MiB), or
 * answers take a detour through the blob store.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ threadEntry, threadData: { tasksModule: QUERY_TASKS_MODULE, blobStore, claimCheckBytes: 16 << 20, logLevel: 'warn' } })
 * await pool.start()
 * await new TaskWorker({ queue, pool, queueName: QUERY_QUEUE }).start()
 * ```
 */
import { defineTask } from '../../workers/task-definition.js';
import { computeStrip } from '../compute/compute-strip.js';
import { parseStripTask, STRIP_TASK, type StripResult } from '../plan/strip-task.js';
import { RENDER_TASK, runRenderTask } from '../render/render-task.js';
import { NON_RETRYABLE_STRIP_FAILURES } from './serve-strips.js';

export const stripTask = defineTask<unknown, StripResult>(STRIP_TASK, (input, context) => computeStrip(parseStripTask(input), context.blobs), {
  retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 50, nonRetryable: [...NON_RETRYABLE_STRIP_FAILURES] },
  timeoutMs: 60_000,
});

/** Encodes a PNG off the gatherer's thread (see render/render-task). */
export const renderTask = defineTask<unknown, { png: Uint8Array }>(RENDER_TASK, (input) => runRenderTask(input), {
  retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 50, nonRetryable: ['QUERY_INVALID'] },
  timeoutMs: 60_000,
});

/** URL of this module, for `ThreadData.tasksModule`. */
export const QUERY_TASKS_MODULE: string = import.meta.url;
