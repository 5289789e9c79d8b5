/**
 * @module runtime/backends
 * Which adapter serves each port, from configuration alone: a URL per role,
 * in options or environment variables; anything unset stays embedded.
 *
 * | role | variable | embedded | cluster |
 * | --- | --- | --- | --- |
 * | task queue | `MILLRACE_QUEUE` | SQLite under the data dir | `amqp://` or `amqps://` → RabbitMQ (`?prefix=` names this deployment's queues) |
 * | events, log, checkpoints | `MILLRACE_STORE` | SQLite under the data dir | `postgres://` or `postgresql://` → PostgreSQL (`?schema=` picks the schema) |
 * | blobs | `MILLRACE_BLOBS` | files under the data dir | `s3://bucket/prefix?endpoint=…` → S3 |
 */
import { MillraceError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';

export type QueueBackend = { kind: 'sqlite' } | { kind: 'rabbitmq'; url: string; prefix: string };
export type StoreBackend = { kind: 'sqlite' } | { kind: 'postgres'; url: string; schema: string };
export type BlobBackend = { kind: 'fs' } | { kind: 's3'; url: string };

export interface Backends {
  queue: QueueBackend;
  store: StoreBackend;
  blobs: BlobBackend;
}

/** URLs by role; each may be omitted. */
export interface BackendUrls {
  /** @defaultValue `MILLRACE_QUEUE`, else embedded SQLite */
  queue?: string;
  /** @defaultValue `MILLRACE_STORE`, else embedded SQLite */
  store?: string;
  /** @defaultValue `MILLRACE_BLOBS`, else embedded files */
  blobs?: string;
}

/** @throws `CONFIG_INVALID` naming the variable and the scheme it expected (never the credentials) */
export function resolveBackends(urls: BackendUrls = {}, env: NodeJS.ProcessEnv = process.env): Backends {
  const queueUrl = pick(urls.queue, env.MILLRACE_QUEUE);
  const storeUrl = pick(urls.store, env.MILLRACE_STORE);
  const blobUrl = pick(urls.blobs, env.MILLRACE_BLOBS);
  return {
    queue: queueUrl === undefined ? { kind: 'sqlite' } : rabbitmq(expect(queueUrl, 'MILLRACE_QUEUE', ['amqp:', 'amqps:'])),
    store: storeUrl === undefined ? { kind: 'sqlite' } : postgres(expect(storeUrl, 'MILLRACE_STORE', ['postgres:', 'postgresql:'])),
    blobs: blobUrl === undefined ? { kind: 'fs' } : { kind: 's3', url: expect(blobUrl, 'MILLRACE_BLOBS', ['s3:']) },
  };
}

/** A one-line description for logs: which backend per role, without credentials. */
export function describeBackends(backends: Backends): string {
  const queue = backends.queue.kind === 'sqlite' ? 'sqlite' : `rabbitmq ${redactUrl(backends.queue.url)}${backends.queue.prefix === '' ? '' : ` prefix ${backends.queue.prefix}`}`;
  const store = backends.store.kind === 'sqlite' ? 'sqlite' : `postgres ${redactUrl(backends.store.url)} schema ${backends.store.schema}`;
  const blobs = backends.blobs.kind === 'fs' ? 'files' : `s3 ${redactUrl(backends.blobs.url)}`;
  return `queue: ${queue}; store: ${store}; blobs: ${blobs}`;
}

function pick(option: string | undefined, env: string | undefined): string | undefined {
  const value = option ?? env;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function expect(url: string, variable: string, schemes: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MillraceError('CONFIG_INVALID', `${variable} is not a valid URL (expected ${schemes.map((s) => `${s}//…`).join(' or ')})`, { field: variable });
  }
  if (!schemes.includes(parsed.protocol)) {
    throw new MillraceError('CONFIG_INVALID', `${variable} must start with ${schemes.map((s) => `${s}//`).join(' or ')}, got ${parsed.protocol}//… (${redactUrl(url)})`, { field: variable });
  }
  return url;
}

/** Whether the store is shared between processes: then a server runs processes, and `run` only submits them. */
export function isSharedStore(backends: Backends): boolean {
  return backends.store.kind !== 'sqlite';
}

function rabbitmq(url: string): QueueBackend {
  const parsed = new URL(url);
  const prefix = parsed.searchParams.get('prefix') ?? '';
  parsed.searchParams.delete('prefix');
  return { kind: 'rabbitmq', url: parsed.toString(), prefix };
}

function postgres(url: string): StoreBackend {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema') ?? 'millrace';
  parsed.searchParams.delete('schema');
  return { kind: 'postgres', url: parsed.toString(), schema };
}
