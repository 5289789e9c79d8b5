/**
 * @module queries/query-errors
 * The error codes of the Queries context: engine codes like any other
 * (in core's `ErrorCode`; callers branch on `code`, errors cross threads as
 * data), and the helpers that make them.
 *
 * Codes and what a server answers with them (see `http/dataset-routes.ts`):
 *
 * | code | meaning | HTTP |
 * | --- | --- | --- |
 * | `QUERY_INVALID` | a parameter is missing, malformed or out of range; `details.parameter` names it | 400 |
 * | `DATASET_NOT_FOUND` | no dataset by that name | 404 |
 * | `DATASET_INVALID` | a dataset name, file id or manifest is malformed | 400 |
 * | `DATASET_EXISTS` | `generate`/`import` would overwrite a dataset or file | 409 |
 * | `QUERY_OVERLOADED` | admission control refused the query; `details.retryAfterSeconds` | 503 |
 * | `QUERY_DEADLINE_EXCEEDED` | subtasks did not all complete within the deadline | 504 |
 * | `QUERY_CANCELLED` | every caller waiting for the query went away | 499 |
 * | `STORAGE_CORRUPT` (core) | a tile or the file index failed its checksum | 500 |
 */
import { MillraceError, type ErrorCode, type ErrorDetails } from '../core/errors.js';

export type QueryErrorCode = Extract<ErrorCode, `QUERY_${string}` | `DATASET_${string}`>;

/** A `MillraceError` carrying one of the Queries codes. */
export function queryError(code: QueryErrorCode | ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }): MillraceError {
  return new MillraceError(code, message, details, options);
}

/** A bad query parameter, named so a client can fix it. */
export function invalidParameter(parameter: string, message: string): MillraceError {
  return queryError('QUERY_INVALID', `${parameter}: ${message}`, { parameter });
}

/** A checksum failure: the bytes must not be used. */
export function storageCorrupt(message: string, details: ErrorDetails): MillraceError {
  return queryError('STORAGE_CORRUPT', message, details);
}

/** True when `error` carries `code` (live or rebuilt from data). */
export function hasQueryCode(error: unknown, code: QueryErrorCode | ErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
