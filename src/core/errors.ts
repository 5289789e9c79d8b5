/**
 * @module core/errors
 * One error type with a stable string `code`. Errors cross threads and
 * processes as plain data, so callers branch on `code`, never `instanceof`.
 */

/** Every code the engine throws. Stable: users and dashboards match on them. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CODEC_INVALID_JSON'
  | 'CODEC_FORBIDDEN_KEY'
  | 'CODEC_TOO_LARGE'
  | 'CODEC_TOO_DEEP'
  | 'BLOB_KEY_INVALID'
  | 'BLOB_NOT_FOUND'
  | 'BLOB_HASH_MISMATCH'
  | 'BLOB_CONFLICT'
  | 'BLOB_RANGE_INVALID'
  | 'QUEUE_NAME_INVALID'
  | 'QUEUE_LEASE_LOST'
  | 'QUEUE_ALREADY_SETTLED'
  | 'QUEUE_CLOSED'
  | 'QUEUE_REQUEST_TIMEOUT'
  | 'QUEUE_MESSAGE_INVALID'
  | 'QUEUE_MESSAGE_NOT_FOUND'
  | 'EVENT_STORE_VERSION_CONFLICT'
  | 'EVENT_STORE_CLOSED'
  | 'LOG_TOPIC_NOT_FOUND'
  | 'LOG_TOPIC_CONFLICT'
  | 'LOG_PARTITION_INVALID'
  | 'LOG_RECORD_CORRUPT'
  | 'LOG_CLOSED'
  | 'CHECKPOINT_CONFLICT'
  | 'CHECKPOINT_CLOSED'
  | 'PROCESS_NOT_FOUND'
  | 'PROCESS_DEFINITION_UNKNOWN'
  | 'PROCESS_ID_INVALID'
  | 'TASK_UNKNOWN'
  | 'TASK_NOT_FOUND'
  | 'TASK_NOT_RETRYABLE'
  | 'TASK_FAILED'
  | 'TASK_TIMEOUT'
  | 'TASK_ABORTED'
  | 'TASK_INPUT_INVALID'
  | 'TASK_OUTPUT_INVALID'
  | 'WORKER_CRASHED'
  | 'WORKER_POOL_CLOSED'
  | 'STORAGE_CORRUPT'
  | 'INPUT_NOT_FOUND'
  | 'NOT_AVAILABLE'
  | 'QUERY_INVALID'
  | 'QUERY_OVERLOADED'
  | 'QUERY_DEADLINE_EXCEEDED'
  | 'QUERY_CANCELLED'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_INVALID'
  | 'DATASET_EXISTS';

/** The ids an error concerns (`{ queue, messageId }`, `{ streamId }` ...). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The engine's only thrown class.
 *
 * @example
 * ```ts
 * try { await blobs.get(ref) } catch (e) {
 *   if (hasCode(e, 'BLOB_HASH_MISMATCH')) quarantine(ref)
 * }
 * ```
 */
export class MillraceError extends Error {
  override readonly name = 'MillraceError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** Plain data for crossing a thread or process boundary. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: { ...this.details } };
  }
}

/** The shape an error takes on the wire. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details: Record<string, string | number | boolean | undefined>;
}

/** True when `error` carries `code`, whether it is a live error or one rebuilt from data. */
export function hasCode(error: unknown, code: ErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Rebuilds a thrown error from its serialised form (the inverse of `toJSON`). */
export function fromSerialized(data: SerializedError): MillraceError {
  return new MillraceError(data.code, data.message, data.details);
}

/** Message of any thrown value, for logs and failures. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
