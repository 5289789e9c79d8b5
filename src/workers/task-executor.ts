/**
 * @module workers/task-executor
 * The thread side of the pool: runs handlers for `run` messages. Each run
 * gets its own AbortController; a timeout aborts it and reports
 * `TASK_TIMEOUT` at once, without waiting for a handler that ignores its
 * signal (its late result is dropped). Unknown task names fail with the
 * non-retryable `TASK_UNKNOWN` so the message is dead-lettered, not retried.
 */
import type { MessagePort } from 'node:worker_threads';
import { MillraceError } from '../core/errors.js';
import { toFailure } from '../core/failure.js';
import type { Logger } from '../core/logger.js';
import type { BlobStore } from '../ports/blob-store.js';
import { checkInAsJson, checkOut } from './claim-check.js';
import type { TaskContext, TaskDefinition } from './task-definition.js';
import type { FromThread, RunRequest, ToThread, WireOutcome } from './thread-protocol.js';

export interface TaskExecutorDeps {
  blobs: BlobStore;
  logger: Logger;
  claimCheckBytes: number;
}

/** Answers `run` and `abort` messages on `port` until the thread ends. */
export function serveTasks(port: MessagePort, tasks: ReadonlyMap<string, TaskDefinition>, deps: TaskExecutorDeps): void {
  const running = new Map<number, AbortController>();
  const send = (message: FromThread): void => port.postMessage(message);
  let finished: Array<{ id: number; outcome: WireOutcome }> = [];
  const flush = (): void => {
    send({ t: 'done', results: finished });
    finished = [];
  };

  port.on('message', (message: ToThread) => {
    if (message.t === 'abort') {
      running.get(message.id)?.abort(new Error(message.reason));
      return;
    }
    for (const { id, request } of message.runs) {
      const controller = new AbortController();
      running.set(id, controller);
      void executeTask(request, tasks, deps, controller, (progress) => send({ t: 'heartbeat', id, progress })).then((outcome) => {
        running.delete(id);
        if (finished.length === 0) setImmediate(flush);
        finished.push({ id, outcome });
      });
    }
  });
}

/** Runs one task to an outcome; never throws. */
export async function executeTask(
  request: RunRequest,
  tasks: ReadonlyMap<string, TaskDefinition>,
  deps: TaskExecutorDeps,
  controller: AbortController,
  onHeartbeat: (progress?: Record<string, number | string>) => void,
): Promise<WireOutcome> {
  const definition = tasks.get(request.name);
  if (definition === undefined) {
    const known = [...tasks.keys()].sort().join(', ');
    return failed(new MillraceError('TASK_UNKNOWN', `no task named "${request.name}" (this worker knows: ${known})`, { task: request.name }));
  }
  const timeoutMs = request.timeoutMs ?? definition.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<WireOutcome>((resolve) => {
    timer = setTimeout(() => {
      const error = new MillraceError('TASK_TIMEOUT', `task "${request.name}" exceeded its timeout of ${timeoutMs} ms`, { taskId: request.taskId, timeoutMs });
      controller.abort(error);
      resolve(failed(error));
    }, timeoutMs);
  });
  const aborted = new Promise<WireOutcome>((resolve) => {
    controller.signal.addEventListener('abort', () => {
      const reason = controller.signal.reason;
      resolve(failed(reason instanceof MillraceError ? reason : new MillraceError('TASK_ABORTED', `task aborted: ${(reason as Error)?.message ?? 'no reason'}`, { taskId: request.taskId })));
    }, { once: true });
  });
  const run = async (): Promise<WireOutcome> => {
    try {
      const input = await checkOut(request.input, deps.blobs);
      const context = contextFor(request, deps, controller.signal, onHeartbeat);
      const output = await definition.handler(input, context);
      return { ok: true, outputJson: await checkInAsJson(output, deps.blobs, deps.claimCheckBytes) };
    } catch (error) {
      return failed(error);
    }
  };
  try {
    return await Promise.race([run(), timedOut, aborted]);
  } finally {
    clearTimeout(timer);
  }
}

function contextFor(request: RunRequest, deps: TaskExecutorDeps, signal: AbortSignal, heartbeat: TaskContext['heartbeat']): TaskContext {
  let logger: Logger | undefined;
  return {
    taskId: request.taskId,
    attempt: request.attempt,
    blobs: deps.blobs,
    signal,
    heartbeat,
    // Built on first use: most handlers never log, and a child logger per task is measurable at 10k tasks/s.
    get logger(): Logger {
      return (logger ??= deps.logger.child({ task: request.name, taskId: request.taskId, attempt: request.attempt }));
    },
  };
}

function failed(error: unknown): WireOutcome {
  return { ok: false, failure: toFailure(error) };
}
