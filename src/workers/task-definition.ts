/**
 * @module workers/task-definition
 * `defineTask`: the unit of work. A task module is a file that exports task
 * definitions; each worker thread imports it and finds them by a brand that
 * survives module duplication (`Symbol.for`), so a definition built with one
 * copy of millrace is recognised by another.
 */
import { MillraceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BlobStore } from '../ports/blob-store.js';
import { resolveRetryPolicy, type RetryPolicy } from './retry-policy.js';

const TASK_BRAND = Symbol.for('millrace.task');

/** What a handler gets besides its input. */
export interface TaskContext {
  /** Deterministic id of this task (process/step/index), the same on every attempt. */
  readonly taskId: string;
  /** 1 on the first run. */
  readonly attempt: number;
  /** Where bulk inputs live and bulk outputs go. */
  readonly blobs: BlobStore;
  readonly logger: Logger;
  /** Aborts on timeout, cancellation or shutdown; pass it to I/O. */
  readonly signal: AbortSignal;
  /** Reports progress and proves the handler is alive (keeps the queue lease). */
  heartbeat(progress?: Record<string, number | string>): void;
}

/** The user's function. Returns a small JSON value; large ones travel as blob references automatically. */
export type TaskHandler<I, O> = (input: I, context: TaskContext) => Promise<O> | O;

/** Options of a task. */
export interface TaskOptions {
  /** @defaultValue {@link DEFAULT_RETRY_POLICY} */
  retry?: Partial<RetryPolicy>;
  /** Abort and fail the attempt after this long. @defaultValue 300 000 ms (5 minutes) */
  timeoutMs?: number;
  /**
   * Runs of this task one worker thread takes at once; further runs wait in
   * the pool for the first thread with room. For CPU-bound tasks (1 or 2): a
   * thread that falls behind then simply takes fewer, instead of working
   * through a share handed to it up front while another thread idles.
   * @defaultValue no limit (the worker's concurrency bounds the runs)
   */
  perThread?: number;
}

/** A named handler with its settings. */
export interface TaskDefinition<I = unknown, O = unknown> {
  readonly [TASK_BRAND]: true;
  readonly name: string;
  readonly handler: TaskHandler<I, O>;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly perThread: number | undefined;
}

/** The part of a definition that travels between threads. */
export interface TaskInfo {
  name: string;
  retry: RetryPolicy;
  timeoutMs: number;
  /** See {@link TaskOptions.perThread}; absent: no limit. */
  perThread?: number;
}

/** Task names: letters, digits, `.`, `_`, `-`, `:`, `/`; 1–200 characters. */
export const TASK_NAME_PATTERN = /^[A-Za-z0-9._:/-]{1,200}$/;
export const DEFAULT_TASK_TIMEOUT_MS = 300_000;

/**
 * Defines a task.
 *
 * @example
 * ```ts
 * // tasks.ts — the module workers load
 * export const countWords = defineTask('count-words', async (input: { text: string }) => {
 *   return { words: input.text.split(/\s+/).filter(Boolean).length }
 * }, { retry: { maxAttempts: 5 }, timeoutMs: 10_000 })
 * ```
 */
export function defineTask<I, O>(name: string, handler: TaskHandler<I, O>, options: TaskOptions = {}): TaskDefinition<I, O> {
  if (!TASK_NAME_PATTERN.test(name)) {
    throw new MillraceError('CONFIG_INVALID', `task name "${name}" must match ${TASK_NAME_PATTERN}`, { task: name });
  }
  if (typeof handler !== 'function') {
    throw new MillraceError('CONFIG_INVALID', `task "${name}": handler must be a function`, { task: name });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new MillraceError('CONFIG_INVALID', `task "${name}": timeoutMs must be a positive number`, { task: name });
  }
  const perThread = options.perThread;
  if (perThread !== undefined && !(Number.isInteger(perThread) && perThread >= 1)) {
    throw new MillraceError('CONFIG_INVALID', `task "${name}": perThread must be an integer ≥ 1`, { task: name });
  }
  const retry = resolveRetryPolicy(options.retry, `task "${name}" retry`);
  return Object.freeze({ [TASK_BRAND]: true as const, name, handler, retry, timeoutMs, perThread });
}

/** True for values made by `defineTask` (from any copy of the library). */
export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK_BRAND] === true;
}

/**
 * Collects the task definitions a module exports (named exports, and arrays
 * or objects of definitions under any export, e.g. `export default [a, b]`).
 * @throws `CONFIG_INVALID` on two tasks with one name, or none at all
 */
export function collectTasks(moduleExports: Record<string, unknown>, source: string): Map<string, TaskDefinition> {
  const found = new Map<string, TaskDefinition>();
  const add = (candidate: unknown): void => {
    if (!isTaskDefinition(candidate)) return;
    const existing = found.get(candidate.name);
    if (existing !== undefined && existing !== candidate) {
      throw new MillraceError('CONFIG_INVALID', `two tasks named "${candidate.name}" in ${source}`, { task: candidate.name });
    }
    found.set(candidate.name, candidate);
  };
  for (const value of Object.values(moduleExports)) {
    if (Array.isArray(value)) value.forEach(add);
    else if (isTaskDefinition(value)) add(value);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(add);
  }
  if (found.size === 0) {
    throw new MillraceError('CONFIG_INVALID', `${source} exports no task definitions (use defineTask and export the result)`, { source });
  }
  return found;
}

/** Strips the handler, for sending a definition's settings across threads. */
export function taskInfo(definition: TaskDefinition): TaskInfo {
  return { name: definition.name, retry: definition.retry, timeoutMs: definition.timeoutMs, ...(definition.perThread === undefined ? {} : { perThread: definition.perThread }) };
}
