/**
 * @module workers/task-message
 * The shapes of task and result messages on the queue, and their
 * validation: a message from the queue is untrusted input (another version
 * of the program, a hand-published message) and is checked before use.
 */
import { MillraceError } from '../core/errors.js';
import type { TaskFailure } from '../core/failure.js';

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
  if (p.resultQueue !== undefined && typeof p.resultQueue !== 'string') throw invalid('resultQueue', 'a string');
  if (p.timeoutMs !== undefined && !(typeof p.timeoutMs === 'number' && p.timeoutMs > 0)) throw invalid('timeoutMs', 'a positive number');
  if (p.attempt !== undefined && !(Number.isInteger(p.attempt) && (p.attempt as number) >= 1)) throw invalid('attempt', 'an integer ≥ 1');
  return { taskId: p.taskId, input: p.input, resultQueue: p.resultQueue as string | undefined, timeoutMs: p.timeoutMs as number | undefined, attempt: p.attempt as number | undefined };
}

/** Checks a result message from the queue. @throws `QUEUE_MESSAGE_INVALID` */
export function parseTaskResult(payload: unknown): TaskResult {
  if (typeof payload !== 'object' || payload === null) throw invalid('result', 'an object');
  const r = payload as Record<string, unknown>;
  if (typeof r.taskId !== 'string') throw invalid('taskId', 'a string');
  if (typeof r.name !== 'string') throw invalid('name', 'a string');
  if (typeof r.ok !== 'boolean') throw invalid('ok', 'a boolean');
  if (typeof r.attempt !== 'number') throw invalid('attempt', 'a number');
  if (!r.ok && (typeof r.failure !== 'object' || r.failure === null)) throw invalid('failure', 'an object when ok is false');
  if (r.tag !== undefined && (typeof r.tag !== 'string' || r.tag.length > 300)) throw invalid('tag', 'a string of at most 300 characters');
  return r as unknown as TaskResult;
}

function invalid(field: string, expected: string): MillraceError {
  return new MillraceError('QUEUE_MESSAGE_INVALID', `task message field "${field}" must be ${expected}`, { field });
}
