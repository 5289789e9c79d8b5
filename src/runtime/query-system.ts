/**
 * @module runtime/query-system
 * Queries wired to an engine: a `QueryService` whose strips go out as
 * request/reply messages to query workers.
 *
 * - Embedded, strips travel on an in-memory queue to worker threads of this
 *   process: a query lives for a second and is asked again if lost, so a
 *   durable queue would only add an fsync per strip.
 * - On a cluster queue (RabbitMQ), strips go to the `millrace.queries`
 *   queue, which `millrace worker --queries` processes consume; the server
 *   runs query threads of its own only when asked (`threads`).
 */
import { availableParallelism } from 'node:os';
import { MemoryTaskQueue } from '../adapters/embedded/memory-task-queue.js';
import { QueryService, type QueryServiceOptions } from '../queries/service/query-service.js';
import { createQueueStripRunner, QUERY_QUEUE } from '../queries/scatter/queue-strip-runner.js';
import { QUERY_TASKS_MODULE } from '../queries/worker/query-tasks.js';
import type { Millrace, RunningWorker } from './millrace.js';

/** Strip answers are partial grids; up to this size they travel in the reply itself. */
const STRIP_CLAIM_CHECK_BYTES = 16 * 1024 * 1024;

export interface QuerySystem {
  readonly service: QueryService;
  readonly worker: RunningWorker | undefined;
  close(): Promise<void>;
}

export interface StartQueriesOptions {
  /** Query threads in this process. @defaultValue cores when embedded, 0 on a cluster queue */
  threads?: number;
  service?: Omit<QueryServiceOptions, 'blobs' | 'runner'>;
}

export async function startQueries(millrace: Millrace, options: StartQueriesOptions = {}): Promise<QuerySystem> {
  const memory = millrace.backends.queue.kind === 'sqlite' ? new MemoryTaskQueue() : undefined;
  const queue = memory ?? millrace.queue;
  const threads = options.threads ?? (memory !== undefined ? availableParallelism() : 0);
  const worker = threads === 0 ? undefined : await startQueryWorker(millrace, { threads, queue: memory });
  const service = new QueryService({ ...options.service, blobs: millrace.blobs, runner: createQueueStripRunner({ queue, blobs: millrace.blobs }) });
  return {
    service,
    worker,
    close: async () => {
      await worker?.stop({ drain: false });
      await memory?.close();
    },
  };
}

/** Threads answering strips from the query queue (`millrace worker --queries` on a cluster). */
export function startQueryWorker(millrace: Millrace, options: { threads: number; queue?: MemoryTaskQueue }): Promise<RunningWorker> {
  return millrace.startWorker({
    tasks: QUERY_TASKS_MODULE, queue: options.queue, queueName: QUERY_QUEUE, threads: options.threads,
    concurrency: 4 * options.threads, resultsInProcess: false, followDials: false, claimCheckBytes: STRIP_CLAIM_CHECK_BYTES,
  });
}
