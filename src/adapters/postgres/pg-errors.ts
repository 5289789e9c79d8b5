/**
 * @module adapters/postgres/pg-errors
 * The one place where PostgreSQL adapters turn driver errors into engine
 * codes, so the event store, the log and the checkpoint store say the same
 * thing for the same failure:
 *
 * | driver says | kind | engine code |
 * | --- | --- | --- |
 * | SQLSTATE 08xxx, 57P01-57P03, 53300, ECONNREFUSED, ECONNRESET, a dropped socket | `connection` | `NOT_AVAILABLE` (naming host:port only) |
 * | SQLSTATE 40001, 40P01 (serialization failure, deadlock) | `transient` | retried; `NOT_AVAILABLE` once retries run out |
 * | SQLSTATE 23505 (unique violation) | `unique` | the adapter's conflict code, where the constraint means one |
 * | SQLSTATE 28xxx, 3D000 (credentials, unknown database) | `config` | `CONFIG_INVALID` |
 *
 * Credentials never appear in what leaves here: messages are built from the
 * endpoint (host:port) and scrubbed of the connection string and password,
 * and connection-class errors carry no `cause`, because a raw driver or URL
 * error can hold the full connection string in one of its fields.
 */
import { MillraceError, type ErrorDetails } from '../../core/errors.js';

/** How an adapter should react to a driver error. */
export type PgErrorKind = 'connection' | 'transient' | 'unique' | 'config' | 'other';

/** What the translation needs besides the error. */
export interface PgErrorContext {
  /** `host:port` of the server, the only part of the connection settings ever shown. */
  endpoint: string;
  /** Strings that must never be echoed (the connection string, the password). */
  secrets: readonly string[];
  /** The ids the failed operation concerns. */
  details: ErrorDetails;
  /** Turns a unique violation on a named constraint into the adapter's conflict error; `undefined` leaves it unmapped. */
  uniqueViolation?: (constraint: string | undefined) => MillraceError | undefined;
}

const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres reports a dead socket with plain `Error`s that carry no code; these are its wordings. */
const CONNECTION_MESSAGES = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout/;

/** Classifies a driver error; anything already a `MillraceError` is `other`. */
export function classifyPgError(error: unknown): PgErrorKind {
  if (error instanceof MillraceError || typeof error !== 'object' || error === null) return 'other';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || CONNECTION_SQLSTATES.has(code) || CONNECTION_ERRNOS.has(code)) return 'connection';
    if (code === '40001' || code === '40P01') return 'transient';
    if (code === '23505') return 'unique';
    if (code.startsWith('28') || code === '3D000') return 'config';
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message) ? 'connection' : 'other';
}

/**
 * Maps a driver error to the engine's vocabulary. A `MillraceError` passes
 * unchanged; so does any other error the table above does not name (a bug of
 * ours, a constraint we did not expect), with its SQLSTATE intact.
 */
export function translatePgError(error: unknown, context: PgErrorContext): unknown {
  if (error instanceof MillraceError) return error;
  const kind = classifyPgError(error);
  const code = pgCode(error);
  const details = { ...context.details, endpoint: context.endpoint, pgCode: code };
  const reason = redact(messageOfError(error), context.secrets);
  switch (kind) {
    case 'connection':
      return new MillraceError('NOT_AVAILABLE', `PostgreSQL at ${context.endpoint} is not available: ${reason}`, details);
    case 'transient':
      return new MillraceError('NOT_AVAILABLE', `PostgreSQL at ${context.endpoint} kept aborting the transaction (${code}): ${reason}`, details);
    case 'config':
      return new MillraceError('CONFIG_INVALID', `PostgreSQL at ${context.endpoint} refused the connection settings: ${reason}`, details);
    case 'unique': {
      const constraint = (error as { constraint?: unknown }).constraint;
      return context.uniqueViolation?.(typeof constraint === 'string' ? constraint : undefined) ?? error;
    }
    default:
      return error;
  }
}

/**
 * An error for a write whose COMMIT was in flight when the connection
 * dropped: it may or may not have been applied, and retrying blindly could
 * apply it twice.
 */
export function outcomeUnknown(context: PgErrorContext, error: unknown): MillraceError {
  const reason = redact(messageOfError(error), context.secrets);
  return new MillraceError(
    'NOT_AVAILABLE',
    `PostgreSQL at ${context.endpoint} dropped the connection while committing; the write may or may not have been applied: ${reason}`,
    { ...context.details, endpoint: context.endpoint, outcome: 'unknown' },
  );
}

/**
 * Errors from connecting that are neither a network failure nor a
 * PostgreSQL refusal (an unparseable connection string, say) become
 * `CONFIG_INVALID` without their cause: a URL error keeps the whole input,
 * password included, in a field.
 */
export function connectFailure(error: unknown, context: PgErrorContext): unknown {
  const translated = translatePgError(error, context);
  if (translated !== error) return translated;
  const reason = redact(messageOfError(error), context.secrets);
  return new MillraceError('CONFIG_INVALID', `cannot connect to PostgreSQL at ${context.endpoint}: ${reason}`, { ...context.details, endpoint: context.endpoint });
}

/**
 * Refuses text PostgreSQL cannot store (`text` columns reject U+0000), with
 * a clear error before any round trip rather than an encoding error after.
 */
export function assertStorableText(value: string, what: string, details: ErrorDetails): void {
  if (value.includes('\u0000')) throw new MillraceError('CONFIG_INVALID', `${what} must not contain U+0000`, details);
}

/** Removes every secret, and any `scheme://user:password@` prefix, from a message. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@').replace(/password=\S+/gi, 'password=***');
}

function pgCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function messageOfError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}
