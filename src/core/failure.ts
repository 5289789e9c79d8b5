/**
 * @module core/failure
 * A task failure that crosses workers is data, not a thrown object: it is
 * recorded in event histories and dead-letter rows and must survive JSON.
 */
import { messageOf } from './errors.js';

/** Why a task did not succeed. */
export interface TaskFailure {
  /** A stable kind: an engine code (`TASK_TIMEOUT`, `WORKER_CRASHED`) or the error's class name. */
  type: string;
  message: string;
  /** False when retrying cannot help (bad input, unknown task): the task goes straight to dead letters. */
  retryable: boolean;
  /** The failure underneath, if any (one level, to keep records small). */
  cause?: { type: string; message: string } | undefined;
}

/**
 * Thrown by a handler to say "do not retry this". Anything else a handler
 * throws is retryable.
 */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

/** Converts whatever a handler threw into a failure record. */
export function toFailure(error: unknown): TaskFailure {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const name = error instanceof Error ? error.name : 'Error';
  const type = typeof code === 'string' ? code : name;
  const retryable = !(error instanceof NonRetryableError) && !NON_RETRYABLE_CODES.has(type);
  const cause = error instanceof Error && error.cause !== undefined
    ? { type: error.cause instanceof Error ? error.cause.name : 'Error', message: messageOf(error.cause) }
    : undefined;
  return { type, message: messageOf(error), retryable, cause };
}

const NON_RETRYABLE_CODES = new Set(['TASK_UNKNOWN', 'TASK_INPUT_INVALID', 'TASK_OUTPUT_INVALID', 'CODEC_FORBIDDEN_KEY', 'CODEC_TOO_LARGE', 'CODEC_TOO_DEEP', 'CODEC_INVALID_JSON']);
