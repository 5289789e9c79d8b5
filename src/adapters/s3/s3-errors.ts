/**
 * @module adapters/s3/s3-errors
 * The one place where AWS SDK errors become engine errors, so an S3-backed
 * store fails with the same codes as the file-system one:
 *
 * | SDK error                                   | engine code          |
 * | ------------------------------------------- | -------------------- |
 * | `NoSuchKey`, `NotFound`, other 404          | `BLOB_NOT_FOUND`     |
 * | 412 `PreconditionFailed`, 409 `ConditionalRequestConflict` | `BLOB_CONFLICT` |
 * | 416 `InvalidRange`                          | `BLOB_RANGE_INVALID` |
 * | `NoSuchBucket`, 501 `NotImplemented`, no credentials found | `CONFIG_INVALID` |
 * | network failure, timeout, 5xx, 429, 401/403, anything else | `NOT_AVAILABLE` |
 *
 * Messages name the endpoint host, the bucket and the key, never credentials:
 * the SDK's error object is not kept as `cause` (it carries response
 * fields such as `AWSAccessKeyId` and the string the server signed), and any
 * credential value the store knows is scrubbed from the text that is kept.
 */
import { MillraceError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';

/** What the store was doing when the SDK failed. */
export interface S3ErrorContext {
  operation: 'put' | 'get' | 'getRange' | 'head' | 'list' | 'delete';
  bucket: string;
  /** The engine key (without the store's prefix), when there is one. */
  key?: string;
  /** `host[:port]` of the endpoint, for "where" in the message. */
  host: string;
  /** Values that must never appear in a message (static credentials). */
  secrets?: readonly string[];
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPROTO',
]);
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
/** Longest piece of an SDK message kept: enough to diagnose, not a dump of a response body. */
const MAX_DETAIL_CHARS = 300;

/** HTTP status of an SDK service error, if the server answered at all. */
export function s3Status(error: unknown): number | undefined {
  const metadata = field(error, '$metadata');
  const status = typeof metadata === 'object' && metadata !== null ? (metadata as { httpStatusCode?: unknown }).httpStatusCode : undefined;
  return typeof status === 'number' ? status : undefined;
}

/** S3 error code (`NoSuchKey`, `PreconditionFailed` …) or the error's class name. */
export function s3ErrorName(error: unknown): string | undefined {
  const code = field(error, 'Code');
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : undefined;
}

/** True when the server says the object (or the upload) does not exist. */
export function isS3NotFound(error: unknown): boolean {
  const name = s3ErrorName(error);
  if (name === 'NoSuchBucket') return false;
  return NOT_FOUND_NAMES.has(name ?? '') || s3Status(error) === 404;
}

/**
 * True when a conditional write lost: the key exists (412), or another
 * conditional write to it is in progress (409, AWS's `ConditionalRequestConflict`).
 */
export function isS3WriteConflict(error: unknown): boolean {
  const status = s3Status(error);
  return status === 412 || (status === 409 && s3ErrorName(error) === 'ConditionalRequestConflict');
}

/** True when the server refused a `Range` as unsatisfiable. */
export function isS3InvalidRange(error: unknown): boolean {
  return s3Status(error) === 416 || s3ErrorName(error) === 'InvalidRange';
}

/**
 * Converts anything the SDK threw into a `MillraceError`. A `MillraceError`
 * passes through unchanged, so callers can wrap whole operations.
 */
export function toMillraceError(error: unknown, context: S3ErrorContext): MillraceError {
  if (error instanceof MillraceError) return error;
  const status = s3Status(error);
  const name = s3ErrorName(error) ?? 'Error';
  const [code, what] = classify(error, status, name, context);
  const where = `S3 at ${context.host}, bucket "${context.bucket}"${context.key === undefined ? '' : `, key "${context.key}"`}`;
  const said = scrub(sdkMessage(error), context.secrets);
  const message = `${context.operation} failed: ${what} (${where}; ${name}${status === undefined ? '' : ` ${status}`}${said === '' ? '' : `: ${said}`})`;
  return new MillraceError(code, message, {
    operation: context.operation,
    host: context.host,
    bucket: context.bucket,
    key: context.key,
    s3Code: name,
    status,
    requestId: requestIdOf(error),
  });
}

function classify(error: unknown, status: number | undefined, name: string, context: S3ErrorContext): [ErrorCode, string] {
  if (name === 'NoSuchBucket') return ['CONFIG_INVALID', `bucket "${context.bucket}" does not exist`];
  if (name === 'CredentialsProviderError') {
    return ['CONFIG_INVALID', 'no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or a role)'];
  }
  if (isS3NotFound(error)) return ['BLOB_NOT_FOUND', 'no such blob'];
  if (isS3WriteConflict(error)) return ['BLOB_CONFLICT', 'the key was written by someone else'];
  if (isS3InvalidRange(error)) return ['BLOB_RANGE_INVALID', 'the range is outside the object'];
  if (status === 501 || name === 'NotImplemented') {
    return ['CONFIG_INVALID', 'the server does not implement this request (for conditional writes, set conditionalWrites: false)'];
  }
  if (status === undefined) {
    const code = field(error, 'code');
    const network = (typeof code === 'string' && NETWORK_CODES.has(code)) || name === 'TimeoutError' || name === 'AbortError';
    return ['NOT_AVAILABLE', network ? 'the endpoint cannot be reached' : 'the request did not reach the server'];
  }
  if (status === 401 || status === 403) return ['NOT_AVAILABLE', 'access was refused'];
  if (status === 429 || status >= 500) return ['NOT_AVAILABLE', 'the server is failing or throttling'];
  return ['NOT_AVAILABLE', 'the server refused the request'];
}

function sdkMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  // The SDK's fallback text for a body-less response says nothing useful.
  if (message === 'UnknownError' || message === s3ErrorName(error)) return '';
  return message.length > MAX_DETAIL_CHARS ? `${message.slice(0, MAX_DETAIL_CHARS)}…` : message;
}

function scrub(text: string, secrets: readonly string[] | undefined): string {
  let out = text;
  for (const secret of secrets ?? []) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

function requestIdOf(error: unknown): string | undefined {
  const metadata = field(error, '$metadata');
  const id = typeof metadata === 'object' && metadata !== null ? (metadata as { requestId?: unknown }).requestId : undefined;
  return typeof id === 'string' ? id : undefined;
}

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}
