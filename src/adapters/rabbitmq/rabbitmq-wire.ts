/**
 * @module adapters/rabbitmq/rabbitmq-wire
 * How a message looks on the broker, and how a delivery is read back.
 *
 * - body: the payload's JSON text (`content-type: application/json`), or
 *   for a payload that carries bytes a frame (`application/vnd.millrace.frame`,
 *   core/message-body);
 * - properties: `message-id` = id, `type` = name, `priority`, `timestamp`
 *   = publish time in epoch **milliseconds** (not the AMQP spec's seconds:
 *   the port promises milliseconds), `reply-to` (requests), `delivery-mode`
 *   2 (persistent);
 * - headers, ours only (a copy never drags the broker's `x-death` along),
 *   and only when they say something: `x-millrace-attempts` (deliveries
 *   already counted; absent on a first publish), `x-millrace-max-attempts`
 *   (absent when the message took the publisher's default, which the
 *   consumer's default then stands for), `x-millrace-headers` (the user's
 *   headers as JSON text, kept apart from AMQP's so no user header can pose
 *   as ours), and on dead letters `x-millrace-dead-reason` and
 *   `x-millrace-dead-at`. A header table is the costliest part of a small
 *   message, for the broker (which decodes it to read the delivery mode)
 *   and for amqplib: the common first publish, with no user headers,
 *   carries none at all.

 * A delivery is checked as strictly as an embedded row: a body or header the
 * JSON codec refuses, or a message with no id or name (published by some
 * other client), is dead-lettered with the reason rather than handed out.
 */
import type { Message, Options } from 'amqplib';
import { decodeJson } from '../../core/json-codec.js';
import { decodeMessageBody } from '../../core/message-body.js';
import { messageOf } from '../../core/errors.js';
import type { PreparedMessage } from '../common/queue-store.js';

export const ATTEMPTS_HEADER = 'x-millrace-attempts';
export const MAX_ATTEMPTS_HEADER = 'x-millrace-max-attempts';
export const USER_HEADERS_HEADER = 'x-millrace-headers';
export const DEAD_REASON_HEADER = 'x-millrace-dead-reason';
export const DEAD_AT_HEADER = 'x-millrace-dead-at';
const JSON_CONTENT = 'application/json';
const FRAME_CONTENT = 'application/vnd.millrace.frame';

/** One message ready for `channel.publish` on the default exchange. */
export interface WireMessage {
  /** Broker queue it goes to (the default exchange routes by queue name). */
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** A delivery read back. */
export interface DecodedMessage {
  id: string;
  name: string;
  payload: unknown;
  priority: number;
  /** Deliveries already counted before this one. */
  attempts: number;
  maxAttempts: number;
  headers: Readonly<Record<string, string>>;
  publishedAt: number;
  /** Broker name of the requester's reply queue, for requests. */
  replyTo: string | null;
}

/** What varies between a first publish and a copy. */
export interface WireFields {
  attempts: number;
  publishedAt: number;
  /** Broker name of the reply queue, for requests. */
  replyTo: string | null;
  /** Per-message TTL in a delay queue. */
  expirationMs?: number;
  /** The publisher's default `maxAttempts`: a message with exactly that carries no header for it. */
  defaultMaxAttempts?: number;
  /** Unroutable messages come back instead of being dropped (everything but replies). */
  mandatory: boolean;
}

/** Encodes a validated message. */
export function encodeMessage(routingKey: string, message: PreparedMessage, fields: WireFields): WireMessage {
  const headers: Record<string, unknown> = {};
  if (fields.attempts > 0) headers[ATTEMPTS_HEADER] = fields.attempts;
  if (message.maxAttempts !== fields.defaultMaxAttempts) headers[MAX_ATTEMPTS_HEADER] = message.maxAttempts;
  if (message.headersJson !== null) headers[USER_HEADERS_HEADER] = message.headersJson;
  return {
    routingKey,
    content: typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : message.body,
    options: publishOptions(message.id, message.name, message.priority, headers, fields, typeof message.body === 'string' ? JSON_CONTENT : FRAME_CONTENT),
  };
}

/** A copy of a delivered message (decoded or not) with new counts: for requeues, delays and dead letters. */
export function copyMessage(routingKey: string, message: Message, headers: Record<string, unknown>, fields: WireFields): WireMessage {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message.properties.headers ?? {})) {
    if (key.startsWith('x-millrace-')) kept[key] = value;
  }
  const { messageId, type, priority } = message.properties as { messageId?: unknown; type?: unknown; priority?: unknown };
  return {
    routingKey,
    content: message.content,
    options: publishOptions(
      typeof messageId === 'string' ? messageId : undefined,
      typeof type === 'string' ? type : undefined,
      typeof priority === 'number' ? priority : 0,
      { ...kept, ...headers, [ATTEMPTS_HEADER]: fields.attempts },
      fields,
      message.properties.contentType === FRAME_CONTENT ? FRAME_CONTENT : JSON_CONTENT,
    ),
  };
}

function publishOptions(id: string | undefined, name: string | undefined, priority: number, headers: Record<string, unknown>, fields: WireFields, contentType: string): Options.Publish {
  const options: Options.Publish = {
    messageId: id,
    type: name,
    priority,
    timestamp: fields.publishedAt,
    persistent: true,
    contentType,
    mandatory: fields.mandatory,
  };
  if (Object.keys(headers).length > 0) options.headers = headers;
  if (fields.replyTo !== null) options.replyTo = fields.replyTo;
  if (fields.expirationMs !== undefined) options.expiration = String(fields.expirationMs);
  return options;
}

/** Reads a delivery, or says why it cannot be handed out. */
export function decodeMessage(message: Message, defaultMaxAttempts: number, now: number): { ok: true; value: DecodedMessage } | { ok: false; reason: string; id: string | undefined } {
  const properties = message.properties as { messageId?: unknown; type?: unknown; priority?: unknown; replyTo?: unknown; timestamp?: unknown; headers?: Record<string, unknown> };
  const id = typeof properties.messageId === 'string' && properties.messageId.length > 0 ? properties.messageId : undefined;
  if (id === undefined) return { ok: false, reason: 'the message has no message-id (published outside Millrace?)', id };
  if (typeof properties.type !== 'string' || properties.type.length === 0) return { ok: false, reason: `message ${id} has no type (the message name)`, id };
  const headers = properties.headers ?? {};
  try {
    const priority = typeof properties.priority === 'number' ? properties.priority : 0;
    const attempts = readInt(headers[ATTEMPTS_HEADER]) ?? 0;
    const maxAttempts = readInt(headers[MAX_ATTEMPTS_HEADER]) ?? defaultMaxAttempts;
    const userHeaders = headers[USER_HEADERS_HEADER];
    return {
      ok: true,
      value: {
        id,
        name: properties.type,
        payload: decodeMessageBody(message.content),
        priority: Math.min(9, Math.max(0, Math.trunc(priority))),
        attempts: Math.max(0, attempts),
        maxAttempts: Math.max(1, maxAttempts),
        headers: typeof userHeaders === 'string' || Buffer.isBuffer(userHeaders) ? readUserHeaders(userHeaders) : {},
        publishedAt: readInt(properties.timestamp) ?? now,
        replyTo: typeof properties.replyTo === 'string' && properties.replyTo.length > 0 ? properties.replyTo : null,
      },
    };
  } catch (error) {
    return { ok: false, reason: `message ${id} does not decode: ${messageOf(error)}`, id };
  }
}

/** When a message was first published (epoch ms), if it says. */
export function readPublishedAt(message: Message): number | undefined {
  return readInt((message.properties as { timestamp?: unknown }).timestamp);
}

/** What a dead letter's headers say. */
export function readDeadLetterHeaders(message: Message): { attempts: number; reason: string; deadAt: number } {
  const headers = message.properties.headers ?? {};
  const reason = headers[DEAD_REASON_HEADER];
  return {
    attempts: readInt(headers[ATTEMPTS_HEADER]) ?? 0,
    reason: typeof reason === 'string' ? reason : Buffer.isBuffer(reason) ? reason.toString('utf8') : 'unknown',
    deadAt: readInt(headers[DEAD_AT_HEADER]) ?? 0,
  };
}

/** An integer header, whichever AMQP number type the encoder picked. */
export function readInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

function readUserHeaders(text: string | Buffer): Record<string, string> {
  const value = decodeJson(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('user headers are not an object');
  for (const [key, item] of Object.entries(value)) if (typeof item !== 'string') throw new Error(`user header ${key} is not a string`);
  return value as Record<string, string>;
}
