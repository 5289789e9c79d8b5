/**
 * @module workers/task-batch
 * Runs a batch of tasks through the queue and gathers their results: the
 * smallest useful fan-out/fan-in, used by the CLI and the demo. (Processes
 * with several steps are the job of jobs/.)
 *
 * Results are gathered by task id: a result for a task already recorded —
 * a redelivered task that ran twice — is counted and dropped, so each
 * task's result is applied exactly once.
 */
import { MillraceError, messageOf } from '../core/errors.js';
import { newId, taskId as makeTaskId } from '../core/ids.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { checkIn, checkOut, DEFAULT_CLAIM_CHECK_BYTES } from './claim-check.js';
import { TASK_RESULT_MESSAGE, parseTaskResult, type TaskPayload, type TaskResult } from './task-message.js';

/** Messages per publish call: one durable commit each. */
const PUBLISH_BATCH = 1000;

export interface TaskBatchOptions {
  queue: TaskQueue;
  blobs: BlobStore;
  /** Task queue the workers consume. @defaultValue `'tasks'` */
  queueName?: string;
  /** Id of this batch; task ids are `<batchId>/<task>/<index>`. @defaultValue a random id */
  batchId?: string;
  claimCheckBytes?: number;
  /** Called after each new result. */
  onProgress?: (progress: { done: number; total: number; failed: number }) => void;
  signal?: AbortSignal;
}

export interface TaskBatchReport<O> {
  batchId: string;
  /** Output per input, in input order; `undefined` where the task failed. */
  outputs: Array<O | undefined>;
  results: TaskResult[];
  failed: number;
  /** Results received for tasks already recorded (redelivered tasks that ran twice). */
  duplicatesDropped: number;
}

/**
 * Publishes one task per input and waits for all results.
 *
 * @example
 * ```ts
 * const report = await runTaskBatch('count-words', chunks, { queue, blobs })
 * console.log(report.outputs)
 * ```
 */
export async function runTaskBatch<I, O>(name: string, inputs: readonly I[], options: TaskBatchOptions): Promise<TaskBatchReport<O>> {
  const batchId = options.batchId ?? newId();
  const resultQueue = `results.${batchId}`;
  const ids = inputs.map((_, index) => makeTaskId(batchId, name, index));
  const indexOf = new Map(ids.map((id, index) => [id, index]));
  const results = new Map<string, TaskResult>();
  let duplicatesDropped = 0;
  let failed = 0;

  const messages = await Promise.all(inputs.map(async (input, index) => {
    const payload: TaskPayload = { taskId: ids[index]!, input: await checkIn(input, options.blobs, options.claimCheckBytes ?? DEFAULT_CLAIM_CHECK_BYTES), resultQueue };
    return { id: ids[index]!, name, payload };
  }));

  let finish!: () => void;
  let abort!: (error: Error) => void;
  const allDone = new Promise<void>((resolve, reject) => {
    finish = resolve;
    abort = reject;
  });
  if (inputs.length === 0) finish();
  const onAbort = (): void => abort(new MillraceError('TASK_ABORTED', `batch ${batchId} aborted`, { batchId }));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const consumer = options.queue.consume(resultQueue, async (delivery) => {
    if (delivery.name !== TASK_RESULT_MESSAGE) return;
    let result: TaskResult;
    try {
      result = parseTaskResult(delivery.payload);
    } catch (error) {
      // Not a result any redelivery could make valid: dead-letter it with the reason.
      await delivery.nack({ requeue: false, reason: messageOf(error) });
      return;
    }
    if (!indexOf.has(result.taskId)) return;
    if (results.has(result.taskId)) {
      duplicatesDropped++;
      return;
    }
    results.set(result.taskId, result);
    if (!result.ok) failed++;
    options.onProgress?.({ done: results.size, total: inputs.length, failed });
    if (results.size === inputs.length) finish();
  }, { concurrency: 64 });

  try {
    for (let i = 0; i < messages.length; i += PUBLISH_BATCH) {
      await options.queue.publish(options.queueName ?? 'tasks', messages.slice(i, i + PUBLISH_BATCH));
    }
    await allDone;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.stop({ drain: true });
  }

  const ordered = ids.map((id) => results.get(id)!);
  const outputs = await Promise.all(ordered.map(async (r) => (r.ok ? ((await checkOut(r.output, options.blobs)) as O) : undefined)));
  return { batchId, outputs, results: ordered, failed, duplicatesDropped };
}
