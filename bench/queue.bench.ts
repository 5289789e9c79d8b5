/**
 * @module bench/queue
 * End-to-end throughput of no-op tasks: publish N messages in batches of
 * 1000 while one consumer with concurrency 100 acks each; the clock runs
 * from the first publish to the last ack.
 *
 * ```
 *  publisher ──batches of 1000──▶ queue ──▶ consumer (100 in flight) ──▶ ack
 *  t0 = first publish starts                      t1 = last ack resolves
 * ```
 *
 * Rows: `millrace` (the durable embedded `SqliteTaskQueue`), `bullmq` (BullMQ
 * on the local Redis, the peer users would otherwise pick) and
 * `sqlite-ceiling` (the same SQLite settings with no queue logic at all:
 * what this storage allows on this machine, the bound millrace can approach).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { openSqlite } from '../src/adapters/embedded/sqlite-database.js';
import { messageOf } from '../src/core/errors.js';
import type { OutgoingMessage } from '../src/ports/task-queue.js';
import { SqliteTaskQueue } from '../src/adapters/embedded/sqlite-task-queue.js';
import { TaskWorker } from '../src/workers/task-worker.js';
import { WorkerPool } from '../src/workers/worker-pool.js';
import { isServiceUp } from '../test/helpers/services.js';
import type { Benchmark, BenchOptions, Peer } from './harness.js';

export const PUBLISH_BATCH = 1000;
export const CONCURRENCY = 100;
const THREADS = 2;
const QUEUE = 'bench-noop';
const REDIS = { host: '127.0.0.1', port: 6379 } as const;


export const queueBenchmark: Benchmark = {
  name: 'queue',
  title: 'end-to-end no-op task throughput',
  unit: 'messages/s',
  higherIsBetter: true,
  workload: (options) => `${messageCount(options).toLocaleString('en-US')} messages published in batches of ${PUBLISH_BATCH}, consumed with concurrency ${CONCURRENCY}, each acked`,
  peers: (options) => [millracePeer(options), millraceThreadsPeer(options), bullmqPeer(options), sqliteCeilingPeer(options)],
  ratios: [['millrace', 'bullmq'], ['millrace-threads', 'bullmq'], ['millrace', 'sqlite-ceiling']],
  runTimeoutMs: (options) => (options.quick ? 60_000 : 180_000),
};

/** Messages per run: 50,000, or 5,000 with `--quick` (shared with queue-cluster). */
export function messageCount(options: BenchOptions): number {
  return options.quick ? 5_000 : 50_000;
}

/** Messages are built before the clock starts: only the queue is measured. */
export function batches<T>(count: number, make: (i: number) => T): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < count; start += PUBLISH_BATCH) {
    out.push(Array.from({ length: Math.min(PUBLISH_BATCH, count - start) }, (_, k) => make(start + k)));
  }
  return out;
}

function millracePeer(options: BenchOptions): Peer {
  return {
    system: 'millrace',
    conditions: async () => `SqliteTaskQueue (WAL, synchronous=FULL), in-process no-op handler, files under ${tmpdir()}`,
    run: async (signal) => {
      const count = messageCount(options);
      const toPublish = batches<OutgoingMessage>(count, (i) => ({ name: 'noop', payload: { i } }));
      const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-queue-'));
      const queue = new SqliteTaskQueue({ path: join(dir, 'queue.db') });
      try {
        const done = countdown(count);
        const consumer = queue.consume(QUEUE, async (delivery) => {
          await delivery.ack();
          done.tick();
        }, { concurrency: CONCURRENCY });
        try {
          const start = performance.now();
          for (const batch of toPublish) {
            signal.throwIfAborted();
            await queue.publish(QUEUE, batch);
          }
          await untilAborted(done.promise, signal);
          return count / ((performance.now() - start) / 1000);
        } finally {
          await consumer.stop({ drain: false });
        }
      } finally {
        await queue.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The whole task path a user's tasks take: the durable queue, the
 * `TaskWorker` (payload validation, lease extension, retry policy) and a
 * pool of worker threads running a no-op task module — what `millrace
 * worker` does. BullMQ's row runs its processor in-process, so this row
 * pays a thread round trip per task that BullMQ's does not.
 */
function millraceThreadsPeer(options: BenchOptions): Peer {
  return {
    system: 'millrace-threads',
    conditions: async () => `SqliteTaskQueue + TaskWorker + WorkerPool of ${THREADS} threads running a no-op task`,
    run: async (signal) => {
      const count = messageCount(options);
      const toPublish = batches<OutgoingMessage>(count, (i) => ({ name: 'noop', payload: { taskId: `bench/noop/${i}`, input: null } }));
      const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-threads-'));
      const queue = new SqliteTaskQueue({ path: join(dir, 'queue.db') });
      const pool = new WorkerPool({
        threadEntry: new URL('../src/runtime/thread-main.ts', import.meta.url),
        threadData: { tasksModule: new URL('./noop-tasks.ts', import.meta.url).href, blobStore: { kind: 'fs', root: join(dir, 'blobs') }, claimCheckBytes: 65_536, logLevel: 'silent' },
        size: THREADS,
      });
      try {
        await pool.start();
        const worker = new TaskWorker({ queue, pool, queueName: QUEUE, concurrency: CONCURRENCY });
        await worker.start();
        try {
          const start = performance.now();
          for (const batch of toPublish) {
            signal.throwIfAborted();
            await queue.publish(QUEUE, batch);
          }
          while (worker.stats.succeeded < count) {
            signal.throwIfAborted();
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          return count / ((performance.now() - start) / 1000);
        } finally {
          await worker.stop({ drain: false });
        }
      } finally {
        await pool.close();
        await queue.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** BullMQ on the local Redis: the peer users would otherwise pick (also a row of queue-cluster). */
export function bullmqPeer(options: BenchOptions): Peer {
  return {
    system: 'bullmq',
    unavailable: async () => ((await isServiceUp('redis')) ? undefined : `Redis is not reachable on ${REDIS.host}:${REDIS.port}`),
    conditions: describeRedis,
    run: async (signal) => {
      const count = messageCount(options);
      // removeOnComplete: an acked millrace message is deleted too; keeping
      // 50k completed jobs in Redis would measure something else.
      const jobOptions = { removeOnComplete: true, removeOnFail: true };
      const toPublish = batches(count, (i) => ({ name: 'noop', data: { i }, opts: jobOptions }));
      const name = `millrace-bench-${randomUUID()}`;
      const connection = { ...REDIS, maxRetriesPerRequest: null };
      const queue = new Queue(name, { connection });
      const worker = new Worker(name, async () => undefined, { connection, concurrency: CONCURRENCY });
      try {
        const done = countdown(count);
        worker.on('completed', () => done.tick());
        worker.on('failed', (_job, error) => done.fail(error));
        worker.on('error', (error) => done.fail(error));
        await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
        const start = performance.now();
        for (const batch of toPublish) {
          signal.throwIfAborted();
          await queue.addBulk(batch);
        }
        await untilAborted(done.promise, signal);
        return count / ((performance.now() - start) / 1000);
      } finally {
        await worker.close(true).catch(() => undefined);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close().catch(() => undefined);
      }
    },
  };
}

/**
 * The same storage with nothing on top: inserts in transactions of 1000
 * (the publish batch), then select-and-delete in transactions of 100 (one
 * per round of 100 concurrent acks). Opened through `openSqlite`, so WAL,
 * `synchronous = FULL` and the other pragmas are exactly the adapters'.
 */
function sqliteCeilingPeer(options: BenchOptions): Peer {
  return {
    system: 'sqlite-ceiling',
    conditions: async () => `SQLite ${sqliteVersion()}, WAL, synchronous=FULL (an fsync per commit), files under ${tmpdir()}`,
    run: async () => {
      const count = messageCount(options);
      const toPublish = batches(count, (i) => [randomUUID(), 'noop', JSON.stringify({ i })] as const);
      const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-ceiling-'));
      const db = openSqlite({ path: join(dir, 'ceiling.db'), component: 'bench', migrations: [{ version: 1, name: 'messages', sql: CREATE_MESSAGES }] });
      try {
        const insert = db.prepare(INSERT_MESSAGE);
        const take = db.prepare(SELECT_OLDEST);
        const remove = db.prepare(DELETE_MESSAGE);
        const publish = db.transaction((rows: ReadonlyArray<readonly [string, string, string]>) => {
          for (const row of rows) insert.run(...row);
        });
        const consume = db.transaction((): number => {
          const rows = take.all(CONCURRENCY) as Array<{ seq: number }>;
          for (const row of rows) remove.run(row.seq);
          return rows.length;
        });
        const start = performance.now();
        for (const batch of toPublish) publish(batch);
        for (let consumed = 0; consumed < count;) {
          const n = consume();
          if (n === 0) throw new Error(`only ${consumed} of ${count} rows came back`);
          consumed += n;
        }
        return count / ((performance.now() - start) / 1000);
      } finally {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const CREATE_MESSAGES = `
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    payload TEXT NOT NULL
  )`;
const INSERT_MESSAGE = 'INSERT INTO messages (id, name, payload) VALUES (?, ?, ?)';
const SELECT_OLDEST = 'SELECT seq FROM messages ORDER BY seq LIMIT ?';
const DELETE_MESSAGE = 'DELETE FROM messages WHERE seq = ?';

/**
 * Redis's durability decides what the bullmq row is worth next to rows that
 * fsync every commit, so it is printed with the results, not assumed.
 */
async function describeRedis(): Promise<string> {
  const client = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
    const setting = async (name: string): Promise<string> => ((await client.config('GET', name)) as string[])[1] ?? '?';
    const aof = await setting('appendonly');
    const fsync = await setting('appendfsync');
    const save = await setting('save');
    const durability = aof === 'yes'
      ? `AOF on, appendfsync=${fsync}${fsync === 'always' ? '' : ' (acknowledged writes can be lost in a crash)'}`
      : `AOF off, save="${save}" (acknowledged jobs are lost if Redis crashes)`;
    return `BullMQ ${bullmqVersion()} on Redis ${version}, ${durability}`;
  } catch (error) {
    return `Redis settings unknown (${messageOf(error)})`;
  } finally {
    client.disconnect();
  }
}

function sqliteVersion(): string {
  const db = openSqlite({ path: ':memory:', component: 'bench', migrations: [] });
  try {
    return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  } finally {
    db.close();
  }
}

function bullmqVersion(): string {
  const pkg = createRequire(import.meta.url)('bullmq/package.json') as { version?: string };
  return pkg.version ?? 'unknown';
}


/** A promise that resolves after `tick` has been called `count` times, or rejects on `fail`. */
export function countdown(count: number): { promise: Promise<void>; tick: () => void; fail: (error: Error) => void } {
  let remaining = count;
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a failure before anyone awaits must not crash the process
  return {
    promise,
    tick: () => {
      remaining -= 1;
      if (remaining === 0) resolve();
    },
    fail: reject,
  };
}

/** `promise`, or a rejection as soon as `signal` aborts (the run's deadline). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
