/**
 * @module core/http-status
 * The one table from error codes to HTTP statuses, shared by every route
 * family (the server's own, datasets, streams), so a code answers with the
 * same status whichever route raised it. A code not listed is the server's
 * fault: a 500 that says nothing about the inside.
 *
 * Only the codes a client can cause or wait out are listed. `BLOB_NOT_FOUND`
 * is deliberately not: no route takes a blob key from the client, so a
 * missing blob behind a process or a dataset is lost data, a 500, not a
 * missing resource the client named (the server's routes answered 404 for
 * it before the tables were folded; the dataset routes, 500).
 */
import type { ErrorCode } from './errors.js';

/** Codes of HTTP answers that are not engine errors: a request that fails its schema, a route's own "nothing here". */
export type HttpOnlyCode = 'REQUEST_INVALID' | 'NOT_FOUND';

const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode | HttpOnlyCode, number>>> = {
  REQUEST_INVALID: 400,
  CONFIG_INVALID: 400,
  CODEC_INVALID_JSON: 400,
  CODEC_FORBIDDEN_KEY: 400,
  CODEC_TOO_DEEP: 400,
  CODEC_TOO_LARGE: 413,
  PROCESS_ID_INVALID: 400,
  TASK_INPUT_INVALID: 400,
  QUEUE_NAME_INVALID: 400,
  QUERY_INVALID: 400,
  DATASET_INVALID: 400,
  NOT_FOUND: 404,
  PROCESS_NOT_FOUND: 404,
  PROCESS_DEFINITION_UNKNOWN: 404,
  TASK_NOT_FOUND: 404,
  INPUT_NOT_FOUND: 404,
  QUEUE_MESSAGE_NOT_FOUND: 404,
  LOG_TOPIC_NOT_FOUND: 404,
  DATASET_NOT_FOUND: 404,
  TASK_NOT_RETRYABLE: 409,
  EVENT_STORE_VERSION_CONFLICT: 409,
  DATASET_EXISTS: 409,
  // nginx's "client closed request": the client went away, nobody reads this answer.
  QUERY_CANCELLED: 499,
  NOT_AVAILABLE: 503,
  QUERY_OVERLOADED: 503,
  QUERY_DEADLINE_EXCEEDED: 504,
};

/** The status a code answers with, or undefined for a server fault (500). */
export function httpStatusOf(code: unknown): number | undefined {
  return typeof code === 'string' && Object.hasOwn(STATUS_BY_CODE, code) ? STATUS_BY_CODE[code as ErrorCode | HttpOnlyCode] : undefined;
}
