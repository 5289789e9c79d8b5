/**
 * @module workers/task-message
 * The shapes of task and result messages on the queue, and their
 * validation: a message from the queue is untrusted input (another version
 * of the program, a hand-published message) and is checked before use.
 */
import { MillraceError } from '../core/errors.js';
import type { TaskFailure } from '../core/failure.js';
import { QUEUE_NAME_PATTERN } from '../ports/task-queue.js';

/** Longest timeout a timer can hold (2^31 − 1 ms, about 24.8 days): Node fires a longer one at once. */
export const MAX_TASK_TIMEOUT_MS = 2 ** 31 - 1;

/** Payload of a message on a task queue; the message's `name` is the task name. */
export interface TaskPayload {
  /** Deterministic id (process/step/index); results are deduplicated by it. */
  taskId: string;
  /** JSON input, or a claim ticket for a large one. */
  input: unknown;
  /** Queue that receives the final `TaskResult`. Omit for fire-and-forget. */
  resultQueue?: string;
  /** Overrides the task's timeout for this run. */
  timeoutMs?: number;
  /**
   * Set by a process: the attempt the process scheduled. Its presence means
   * the process owns retries: the worker reports every failure instead of
   * retrying, and reports this attempt (not the queue's delivery count), so
   * the process can fence out results of superseded attempts.
   */
  attempt?: number;
}

/** What a worker publishes when a task has finished for good (success, or failure after its last attempt). */
export interface TaskResult {
  taskId: string;
  name: string;
  attempt: number;
  ok: boolean;
  /** The handler's result (or a claim ticket) when `ok`. */
  output?: unknown;
  failure?: TaskFailure;
  durationMs: number;
  /** The reporting worker's tags, joined with `,` (absent for an untagged worker): metrics compare versions by it. */
  tag?: string;
}

/** Name of result messages. */
export const TASK_RESULT_MESSAGE = 'task-result';

/** Checks a task payload from the queue. @throws `QUEUE_MESSAGE_INVALID` naming the bad field */
export function parseTaskPayload(payload: unknown): TaskPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('payload', 'an object');
  }
  const p = payload as Record<string, unknown>;
  if (typeof p.taskId !== 'string' || p.taskId.length === 0 || p.taskId.length > 500) throw invalid('taskId', 'a string of 1–500 characters');
  // Checked here, not when the result is published: by then the task has run, and its result would have nowhere to go.
  if (p.resultQueue !== undefined && !(typeof p.resultQueue === 'string' && QUEUE_NAME_PATTERN.test(p.resultQueue))) throw invalid('resultQueue', `a queue name (${QUEUE_NAME_PATTERN.source})`);
  if (p.timeoutMs !== undefined && !(typeof p.timeoutMs === 'number' && p.timeoutMs > 0 && p.timeoutMs <= MAX_TASK_TIMEOUT_MS)) throw invalid('timeoutMs', `a number of milliseconds from 1 to ${MAX_TASK_TIMEOUT_MS}`);
  if (p.attempt !== undefined && !(Number.isInteger(p.attempt) && (p.attempt as number) >= 1)) throw invalid('attempt', 'an integer ≥ 1');
  return { taskId: p.taskId, input: p.input, resultQueue: p.resultQueue as string | undefined, timeoutMs: p.timeoutMs as number | undefined, attempt: p.attempt as number | undefined };
}

/** Checks a result message from the queue. @throws `QUEUE_MESSAGE_INVALID` */
export function parseTaskResult(payload: unknown): TaskResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid('result', 'an object');
  const r = payload as Record<string, unknown>;
  if (typeof r.taskId !== 'string' || r.taskId.length === 0 || r.taskId.length > 500) throw invalid('taskId', 'a string of 1–500 characters');
  if (typeof r.name !== 'string') throw invalid('name', 'a string');
  if (typeof r.ok !== 'boolean') throw invalid('ok', 'a boolean');
  if (!(Number.isInteger(r.attempt) && (r.attempt as number) >= 1)) throw invalid('attempt', 'an integer ≥ 1');
  if (!(typeof r.durationMs === 'number' && r.durationMs >= 0)) throw invalid('durationMs', 'a number ≥ 0');
  if (!r.ok) {
    const failure = r.failure as Record<string, unknown> | null | undefined;
    if (typeof failure !== 'object' || failure === null || Array.isArray(failure)) throw invalid('failure', 'an object when ok is false');
    if (typeof failure.type !== 'string' || typeof failure.message !== 'string' || typeof failure.retryable !== 'boolean') {
      throw invalid('failure', '{ type: string, message: string, retryable: boolean }');
    }
  }
  if (r.tag !== undefined && (typeof r.tag !== 'string' || r.tag.length > 300)) throw invalid('tag', 'a string of at most 300 characters');
  return r as unknown as TaskResult;
}

function invalid(field: string, expected: string): MillraceError {
  return new MillraceError('QUEUE_MESSAGE_INVALID', `task message field "${field}" must be ${expected}`, { field });
}
