/**
 * @module workers/task-executor
 * The thread side of the pool: runs handlers for `run` messages. Each run
 * has its own abort signal; a timeout aborts it and reports `TASK_TIMEOUT`
 * at once, without waiting for a handler that ignores its signal (its late
 * result is dropped). Unknown task names fail with the non-retryable
 * `TASK_UNKNOWN` so the message is dead-lettered, not retried.
 */
import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { MillraceError } from '../core/errors.js';
import { toFailure } from '../core/failure.js';
import { findJsonProblem } from '../core/json-shape.js';
import { containsBytes } from '../core/message-body.js';
import type { Logger } from '../core/logger.js';
import type { BlobStore } from '../ports/blob-store.js';
import { checkInAsBody, checkOut } from './claim-check.js';
import type { TaskContext, TaskDefinition } from './task-definition.js';
import type { FromThread, RunRequest, ToThread, WireOutcome } from './thread-protocol.js';

export interface TaskExecutorDeps {
  blobs: BlobStore;
  logger: Logger;
  claimCheckBytes: number;
}

/** Answers `run` and `abort` messages on `port` until the thread ends. */
export function serveTasks(port: MessagePort, tasks: ReadonlyMap<string, TaskDefinition>, deps: TaskExecutorDeps): void {
  const running = new Map<number, (reason: string) => void>();
  const send = (message: FromThread): void => port.postMessage(message, transferables(message));
  let finished: Array<{ id: number; outcome: WireOutcome }> = [];
  // Busy time, not wall time, is what a run costs a thread (an await on I/O leaves it free for
  // others), counted from when an idle thread gets work, so start-up and idle chores are not billed to runs.
  let since = performance.eventLoopUtilization();
  const flush = (): void => {
    const now = performance.eventLoopUtilization();
    send({ t: 'done', results: finished, busyMs: performance.eventLoopUtilization(now, since).active });
    since = now;
    finished = [];
  };

  port.on('message', (message: ToThread) => {
    if (message.t === 'abort') {
      running.get(message.id)?.(message.reason);
      return;
    }
    if (running.size === 0 && finished.length === 0) since = performance.eventLoopUtilization();
    for (const { id, request } of message.runs) {
      const run = startTask(request, tasks, deps, (progress) => send({ t: 'heartbeat', id, progress }));
      running.set(id, run.abort);
      void run.outcome.then((outcome) => {
        running.delete(id);
        if (finished.length === 0) setImmediate(flush);
        finished.push({ id, outcome });
      });
    }
  });
}

/** A task running in this thread. */
export interface TaskRun {
  /** How it ended; never rejects. */
  outcome: Promise<WireOutcome>;
  /** Aborts it: the handler's signal fires and the outcome is `TASK_ABORTED` at once. */
  abort(reason: string): void;
}

/**
 * Runs one task to an outcome. A timeout or an abort settles the outcome at
 * once, without waiting for a handler that ignores its signal.
 *
 * The handler's `AbortController` is made only when it reads `ctx.signal`
 * (or once aborted), and one settle function stands in for racing the run
 * against a timeout promise and an abort promise: with no-op tasks those
 * per-run objects and listeners were a quarter of a thread's work.
 */
export function startTask(
  request: RunRequest,
  tasks: ReadonlyMap<string, TaskDefinition>,
  deps: TaskExecutorDeps,
  onHeartbeat: (progress?: Record<string, number | string>) => void,
): TaskRun {
  const definition = tasks.get(request.name);
  if (definition === undefined) {
    const known = [...tasks.keys()].sort().join(', ');
    const outcome = failed(new MillraceError('TASK_UNKNOWN', `no task named "${request.name}" (this worker knows: ${known})`, { task: request.name }));
    return { outcome: Promise.resolve(outcome), abort: () => undefined };
  }
  const timeoutMs = request.timeoutMs ?? definition.timeoutMs;
  let settle!: (outcome: WireOutcome) => void;
  const outcome = new Promise<WireOutcome>((resolve) => (settle = resolve));
  let ended = false;
  let controller: AbortController | undefined;
  let abortReason: MillraceError | undefined;
  const end = (result: WireOutcome): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    settle(result);
  };
  const abort = (reason: MillraceError): void => {
    if (ended) return;
    abortReason = reason;
    controller?.abort(reason);
    end(failed(reason));
  };
  const signal = (): AbortSignal => {
    if (controller === undefined) {
      controller = new AbortController();
      if (abortReason !== undefined) controller.abort(abortReason);
    }
    return controller.signal;
  };
  const timer = setTimeout(() => abort(new MillraceError('TASK_TIMEOUT', `task "${request.name}" exceeded its timeout of ${timeoutMs} ms`, { taskId: request.taskId, timeoutMs })), timeoutMs);
  void (async () => {
    try {
      const input = await checkOut(request.input, deps.blobs);
      const output = await definition.handler(input, contextFor(request, deps, signal, onHeartbeat));
      // A task that returns nothing returns null.
      const problem = output === undefined ? undefined : findJsonProblem(output, 'the result', { bytes: true });
      if (problem !== undefined) {
        throw new MillraceError('TASK_OUTPUT_INVALID', `task "${request.name}" returned a value that cannot travel as JSON: ${problem}`, { taskId: request.taskId });
      }
      // Checked here, before the claim-check: a large result becomes a ticket, which hides its bytes.
      if (request.resultToEvents === true && containsBytes(output)) {
        throw new MillraceError('TASK_OUTPUT_INVALID', `task "${request.name}" returned binary data, which a process's events cannot hold: put the bytes in the blob store (ctx.blobs) and return the reference`, { taskId: request.taskId });
      }
      end({ ok: true, output: await checkInAsBody(output, deps.blobs, deps.claimCheckBytes) });
    } catch (error) {
      end(failed(error));
    }
  })();
  return { outcome, abort: (reason) => abort(new MillraceError('TASK_ABORTED', `task aborted: ${reason}`, { taskId: request.taskId })) };
}

function contextFor(request: RunRequest, deps: TaskExecutorDeps, signal: () => AbortSignal, heartbeat: TaskContext['heartbeat']): TaskContext {
  let logger: Logger | undefined;
  return {
    taskId: request.taskId,
    attempt: request.attempt,
    blobs: deps.blobs,
    heartbeat,
    get signal(): AbortSignal {
      return signal();
    },
    // Built on first use: most handlers never log, and a child logger per task is measurable at 10k tasks/s.
    get logger(): Logger {
      return (logger ??= deps.logger.child({ task: request.name, taskId: request.taskId, attempt: request.attempt }));
    },
  };
}

function failed(error: unknown): WireOutcome {
  return { ok: false, failure: toFailure(error) };
}

/** Frames (outputs carrying bytes) move to the pool's thread instead of being copied: nothing here reads them again. */
function transferables(message: FromThread): ArrayBuffer[] {
  if (message.t !== 'done') return [];
  const out: ArrayBuffer[] = [];
  for (const { outcome } of message.results) {
    if (outcome.ok && typeof outcome.output !== 'string' && outcome.output.byteOffset === 0 && outcome.output.byteLength === outcome.output.buffer.byteLength) out.push(outcome.output.buffer as ArrayBuffer);
  }
  return out;
}
