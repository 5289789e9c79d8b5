/**
 * @module runtime/open-backends
 * Opens the adapter behind each port, as `resolveBackends` chose them, and
 * checks each cluster service is reachable before anything runs: a wrong
 * URL or a service that is down is one clear error at start that names the
 * role, its variable and the endpoint (never the credentials), not a hang
 * or a failure on the first task an hour later.
 *
 * ```
 * embedded (nothing set)            cluster (URLs set)
 * <dataDir>/queue.db    queue       RabbitMQ   MILLRACE_QUEUE
 * <dataDir>/events.db   events  ┐
 * <dataDir>/streams.db  log     ├   PostgreSQL MILLRACE_STORE (one pool)
 *                       ckpts   ┘
 * <dataDir>/blobs/      blobs       S3         MILLRACE_BLOBS
 * ```
 */
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { MillraceError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { redactUrl } from '../core/redact.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { EventStore } from '../ports/event-store.js';
import type { Log } from '../ports/log.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { SqliteTaskQueue } from '../adapters/embedded/sqlite-task-queue.js';
import { SqliteEventStore } from '../adapters/embedded/sqlite-event-store.js';
import { SqliteLog } from '../adapters/embedded/sqlite-log.js';
import { SqliteCheckpointStore } from '../adapters/embedded/sqlite-checkpoint-store.js';
import type { Backends } from './backends.js';
import { openBlobStore, type BlobStoreConfig } from './blob-store-config.js';

export interface OpenedBackends {
  queue: TaskQueue;
  events: EventStore;
  log: Log;
  checkpoints: CheckpointStore;
  blobs: BlobStore;
  /** How worker threads open their own blob store. */
  blobConfig: BlobStoreConfig;
  /** Closes everything opened, queue first (so no delivery lands on a closed store). */
  close(): Promise<void>;
}

interface Stores {
  events: EventStore;
  log: Log;
  checkpoints: CheckpointStore;
  close(): Promise<void>;
}

/**
 * @throws `NOT_AVAILABLE` naming the role, variable and endpoint when a service cannot be reached;
 *   `CONFIG_INVALID` when a URL's options are wrong
 */
export async function openBackends(backends: Backends, context: { dataDir: string; clock: Clock; logger: Logger }): Promise<OpenedBackends> {
  const opened: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  try {
    const queue = await openQueue(backends, context);
    opened.push(() => queue.close());
    const stores = await openStores(backends, context);
    opened.push(() => stores.close());
    const blobConfig: BlobStoreConfig = backends.blobs.kind === 'fs' ? { kind: 'fs', root: join(context.dataDir, 'blobs') } : { kind: 's3', url: backends.blobs.url };
    const blobs = await openBlobs(blobConfig);
    opened.push(() => blobs.close());
    return {
      queue, blobs, blobConfig, events: stores.events, log: stores.log, checkpoints: stores.checkpoints,
      close: async () => {
        await queue.close();
        await Promise.all([blobs.close(), stores.close()]);
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function openQueue(backends: Backends, context: { dataDir: string; clock: Clock; logger: Logger }): Promise<TaskQueue> {
  const backend = backends.queue;
  if (backend.kind === 'sqlite') return new SqliteTaskQueue({ path: join(context.dataDir, 'queue.db'), clock: context.clock, logger: context.logger });
  const { createRabbitMqTaskQueue } = await import('../adapters/rabbitmq/index.js');
  return unreachable('task queue', 'MILLRACE_QUEUE', backend.url, () =>
    createRabbitMqTaskQueue({ url: backend.url, prefix: backend.prefix, clock: context.clock, logger: context.logger, connectTimeoutMs: 10_000 }));
}

async function openStores(backends: Backends, context: { dataDir: string; clock: Clock }): Promise<Stores> {
  const backend = backends.store;
  if (backend.kind === 'sqlite') {
    const events = new SqliteEventStore({ path: join(context.dataDir, 'events.db'), clock: context.clock });
    // Log and checkpoints on one database handle, so a sink's records and the checkpoint commit in one transaction.
    const log = new SqliteLog({ path: join(context.dataDir, 'streams.db'), clock: context.clock });
    const checkpoints = new SqliteCheckpointStore({ database: log.database, clock: context.clock });
    return {
      events, log, checkpoints,
      close: async () => {
        await Promise.all([events.close(), checkpoints.close()]);
        await log.close(); // last: it owns the handle the checkpoints borrow
      },
    };
  }
  const { openPostgresStores } = await import('../adapters/postgres/postgres-stores.js');
  return unreachable('store (events, log, checkpoints)', 'MILLRACE_STORE', backend.url, () =>
    openPostgresStores({ connectionString: backend.url, schema: backend.schema, clock: context.clock }));
}

/** An S3 store checks nothing until used, so ask it once for a key that need not exist. */
async function openBlobs(config: BlobStoreConfig): Promise<BlobStore> {
  const blobs = await openBlobStore(config);
  if (config.kind === 'fs') return blobs;
  try {
    await unreachable('blob store', 'MILLRACE_BLOBS', config.url, () => blobs.head('millrace-reachability-check'));
  } catch (error) {
    await blobs.close();
    throw error;
  }
  return blobs;
}

async function unreachable<T>(role: string, variable: string, url: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof MillraceError && error.code === 'CONFIG_INVALID') throw error;
    throw new MillraceError('NOT_AVAILABLE', `cannot reach the ${role} at ${redactUrl(url)} (${variable}): ${messageOf(error)}`, { role, variable }, { cause: error });
  }
}
