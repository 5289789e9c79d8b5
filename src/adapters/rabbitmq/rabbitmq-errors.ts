/**
 * @module adapters/rabbitmq/rabbitmq-errors
 * The one place where the RabbitMQ adapter turns amqplib and broker errors
 * into engine codes, so every operation says the same thing for the same
 * failure:
 *
 * | driver says | engine code |
 * | --- | --- |
 * | ECONNREFUSED, ECONNRESET, ETIMEDOUT, a closed connection or channel, reply 320 (connection forced), 504, 541 | `NOT_AVAILABLE` (naming host:port/vhost only) |
 * | reply 403 (access refused), 530 (not allowed: unknown vhost) | `NOT_AVAILABLE`, saying the login or vhost was refused |
 * | reply 406 (precondition failed: a queue declared with other arguments) | `CONFIG_INVALID` |
 *
 * Credentials never appear in what leaves here: messages name the broker by
 * `host:port/vhost`, are scrubbed of the user name, password and any
 * `amqp://user:password@` prefix, and carry no raw `cause`, because a driver
 * error can hold connection settings in one of its fields.
 */
import { MillraceError } from '../../core/errors.js';
import type { ErrorDetails } from '../../core/errors.js';

/** What the translation needs besides the error. */
export interface BrokerErrorContext {
  /** `host:port/vhost`: the only part of the connection settings ever shown. */
  broker: string;
  /** Strings never to echo (user name, password). */
  secrets: readonly string[];
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_REPLY_CODES = new Set([320, 501, 502, 503, 504, 505, 506, 541]);
const LOGIN_REPLY_CODES = new Set([403, 530]);

/** Maps a driver error to the engine's vocabulary; a `MillraceError` passes unchanged. */
export function translateBrokerError(error: unknown, context: BrokerErrorContext, doing: string, details: ErrorDetails = {}): MillraceError {
  if (error instanceof MillraceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const reason = redact(messageOfError(error), context.secrets);
  const all = { ...details, broker: context.broker, replyCode: typeof code === 'number' ? code : undefined };
  if (code === 406) return new MillraceError('CONFIG_INVALID', `RabbitMQ at ${context.broker} refused to ${doing}: ${reason}`, all);
  // A refused handshake arrives as a plain Error whose message carries the reply code.
  if ((typeof code === 'number' && LOGIN_REPLY_CODES.has(code)) || /ACCESS[-_]REFUSED|NOT[-_]ALLOWED/.test(reason)) {
    return new MillraceError('NOT_AVAILABLE', `RabbitMQ at ${context.broker} refused the login or the vhost: ${reason}`, all);
  }
  return new MillraceError('NOT_AVAILABLE', `RabbitMQ at ${context.broker} is not available (could not ${doing}): ${reason}`, all);
}

/** True for failures a reconnect can cure (as opposed to a refused declaration). */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return CONNECTION_ERRNOS.has(code);
  if (typeof code === 'number') return CONNECTION_REPLY_CODES.has(code);
  const name = (error as { name?: unknown } | null)?.name;
  // amqplib's "Channel ended, no reply will be forthcoming": the channel died with its connection mid-call.
  return name === 'IllegalOperationError' || /closed|ended|connection|socket|heartbeat/i.test(messageOfError(error));
}

/** Removes every secret, and any `scheme://user:password@` prefix, from a message. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

function messageOfError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}
