/**
 * @module queries/scatter/queue-strip-runner
 * Scatter over the `TaskQueue` port: each strip is a request/reply
 * message on the query queue, answered by whichever worker takes it.
 *
 * ```
 *  gatherer ──request(strip k, priority 5)──▶ millrace.queries ──▶ worker ──▶ reply(TaskResult)
 *     │  no answer within attemptTimeoutMs, or a retryable failure:
 *     └─request(strip k, new id, priority 8)──▶ (taken by any free worker)
 *     past the deadline: QUERY_DEADLINE_EXCEEDED, outstanding requests aborted
 * ```
 *
 * Priorities: a query's strips are published together at priority 5, and
 * the queue is FIFO within a priority, so earlier queries' strips are
 * handed out before later ones'. A strip asked again goes at priority 8,
 * ahead of every first attempt: a query that already waited does not wait
 * behind newer ones a second time. A retry uses a new message id so that a
 * worker other than the slow one can take it; the slow one's late answer
 * finds nobody waiting and is dropped (the duplicate work is the price of
 * not depending on one worker). Non-retryable failures (a corrupt tile,
 * an invalid task) fail the query at once.
 */
import { setMaxListeners } from 'node:events';
import { SystemClock, type Clock } from '../../core/clock.js';
import { fromSerialized, hasCode, MillraceError, type SerializedError } from '../../core/errors.js';
import type { TaskFailure } from '../../core/failure.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { TaskQueue } from '../../ports/task-queue.js';
import { checkOut } from '../../workers/claim-check.js';
import { STRIP_TASK, type StripTask } from '../plan/strip-task.js';
import { RENDER_TASK, type RenderTask } from '../render/render-task.js';
import { hasQueryCode, queryError } from '../query-errors.js';
import type { StripRunner, StripRunOptions, StripRunReport } from '../service/strip-runner.js';

/** The queue query strips travel on. */
export const QUERY_QUEUE = 'millrace.queries';
export const FIRST_ATTEMPT_PRIORITY = 5;
export const RETRY_PRIORITY = 8;

export interface QueueStripRunnerOptions {
  queue: TaskQueue;
  /** @defaultValue {@link QUERY_QUEUE} */
  queueName?: string;
  /** A strip not answered this long is asked again (within the deadline). @defaultValue 2 000 ms */
  attemptTimeoutMs?: number;
  /** To fetch answers a worker moved to the blob store (claim-check). @defaultValue none: such answers fail */
  blobs?: BlobStore;
  clock?: Clock;
}

/** Failure types a retry cannot fix. */
const FATAL = new Set(['STORAGE_CORRUPT', 'QUERY_INVALID', 'TASK_UNKNOWN', 'TASK_INPUT_INVALID', 'DATASET_INVALID', 'BLOB_NOT_FOUND']);

export function createQueueStripRunner(options: QueueStripRunnerOptions): StripRunner {
  const queueName = options.queueName ?? QUERY_QUEUE;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 2_000;
  const clock = options.clock ?? new SystemClock();

  return {
    async run(tasks: readonly StripTask[], run: StripRunOptions): Promise<StripRunReport> {
      const stop = new AbortController();
      const signal = run.signal === undefined ? stop.signal : AbortSignal.any([run.signal, stop.signal]);
      setMaxListeners(tasks.length + 10, signal); // one listener a strip's request: a big image has dozens, which is no leak
      let retries = 0;

      const one = async (task: StripTask): Promise<void> => {
        for (let attempt = 1; ; attempt++) {
          const remaining = run.deadlineAt - clock.now();
          if (remaining <= 0) throw deadlineError(task, attempt - 1);
          if (attempt > 1) retries++;
          let reply: unknown;
          try {
            reply = await options.queue.request(queueName, {
              id: `${task.queryId}/${task.strip}/${attempt}`,
              name: STRIP_TASK,
              payload: { taskId: `${task.queryId}/${task.strip}`, input: task },
              maxAttempts: 3,
            }, { timeoutMs: Math.min(attemptTimeoutMs, remaining), priority: attempt === 1 ? FIRST_ATTEMPT_PRIORITY : RETRY_PRIORITY, signal });
          } catch (error) {
            if (hasCode(error, 'QUEUE_REQUEST_TIMEOUT')) continue;
            throw signal.aborted ? abortReason(run.signal, error) : error;
          }
          const result = reply as { ok?: unknown; output?: unknown; failure?: TaskFailure };
          if (result?.ok === true) {
            const output = options.blobs === undefined ? result.output : await checkOut(result.output, options.blobs);
            run.onResult(task, output);
            return;
          }
          const failure = result?.failure;
          if (failure === undefined || !failure.retryable || FATAL.has(failure.type)) throw failureError(task, failure);
        }
      };

      try {
        await Promise.all(tasks.map((task) => one(task).catch((error: unknown) => {
          stop.abort(error);
          throw error;
        })));
      } finally {
        stop.abort();
      }
      return { retries };
    },

    async renderPng(task: RenderTask, run: { signal?: AbortSignal; deadlineAt: number }): Promise<Buffer> {
      const remaining = run.deadlineAt - clock.now();
      if (remaining <= 0) throw queryError('QUERY_DEADLINE_EXCEEDED', 'the query ran out of time before its image was drawn; no partial result is returned', {});
      let reply: unknown;
      try {
        reply = await options.queue.request(queueName, { name: RENDER_TASK, payload: { taskId: `render/${clock.now()}`, input: task }, maxAttempts: 2 }, { timeoutMs: remaining, priority: RETRY_PRIORITY, signal: run.signal });
      } catch (error) {
        if (hasCode(error, 'QUEUE_REQUEST_TIMEOUT')) throw queryError('QUERY_DEADLINE_EXCEEDED', 'the query ran out of time while its image was drawn; no partial result is returned', {});
        throw run.signal?.aborted === true ? abortReason(run.signal, error) : error;
      }
      const result = reply as { ok?: unknown; output?: { png?: unknown }; failure?: TaskFailure };
      const png = result?.ok === true ? result.output?.png : undefined;
      if (!(png instanceof Uint8Array)) throw failureError({ queryId: 'render', strip: -1 } as StripTask, result?.failure);
      return Buffer.from(png.buffer, png.byteOffset, png.byteLength);
    },
  };

  function deadlineError(task: StripTask, attempts: number): MillraceError {
    return queryError('QUERY_DEADLINE_EXCEEDED', `query ${task.queryId}: strip ${task.strip} got no answer before the deadline (${attempts} attempt${attempts === 1 ? '' : 's'}); no partial result is returned`, { queryId: task.queryId, strip: task.strip, attempts });
  }
}

/** The error of a failed strip, with the worker's code kept (errors cross processes as data). */
function failureError(task: StripTask, failure: TaskFailure | undefined): MillraceError {
  if (failure === undefined) return new MillraceError('TASK_FAILED', `strip ${task.strip} of query ${task.queryId}: malformed reply`, { queryId: task.queryId });
  const data: SerializedError = { code: failure.type as SerializedError['code'], message: failure.message, details: { queryId: task.queryId, strip: task.strip } };
  return fromSerialized(data);
}

function abortReason(signal: AbortSignal | undefined, error: unknown): unknown {
  if (signal?.aborted === true) {
    const reason: unknown = signal.reason;
    return hasQueryCode(reason, 'QUERY_CANCELLED') || hasQueryCode(reason, 'QUERY_DEADLINE_EXCEEDED') ? reason : queryError('QUERY_CANCELLED', 'the query was cancelled: nobody waits for it any more', {});
  }
  return error;
}
