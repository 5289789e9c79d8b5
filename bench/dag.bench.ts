/**
 * @module bench/dag
 * Wall time of a fan-out/fan-in DAG of no-op tasks: one task lists N items,
 * N tasks run (one per item, doing nothing), and one task receives all N
 * outputs. The clock runs from starting the process (adding the flow) to the
 * last task's completion.
 *
 * ```
 *             ┌─▶ noop 0 ─────┐
 *  fan-out ───┼─▶ noop 1 ─────┼──▶ fan-in (gets the N outputs)
 *             └─▶ noop N-1 ───┘
 *  t0 = start the process / add the flow        t1 = fan-in completed
 * ```
 *
 * Rows: `millrace` (the embedded engine: orchestrator, durable SQLite event
 * store and queue, worker threads; tasks handed to the worker in-process),
 * `millrace-queued` (the same with every task through the SQLite queue, as
 * for a worker in another process) and `bullmq` (a `FlowProducer` flow on the
 * local Redis: a parent with N children, the shape BullMQ offers for this).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { messageOf } from '../src/core/errors.js';
import { defineProcess } from '../src/jobs/process-definition.js';
import { createMillrace } from '../src/runtime/millrace.js';
import { isServiceUp } from '../test/helpers/services.js';
import type { Benchmark, BenchOptions, Peer } from './harness.js';

const REDIS = { host: '127.0.0.1', port: 6379 } as const;
/** Threads of the millrace worker: one per core, as `millrace worker` does by default. */
const THREADS = availableParallelism();
/** Tasks in flight at once, the same for both rows: the millrace worker's default (16 per thread). */
const CONCURRENCY = 16 * THREADS;

export const dagBenchmark: Benchmark = {
  name: 'dag',
  title: 'fan-out/fan-in DAG of no-op tasks, wall time',
  unit: 'seconds',
  higherIsBetter: false,
  workload: (options) => `fan-out → ${taskCount(options).toLocaleString('en-US')} no-op tasks → fan-in of all outputs, ${CONCURRENCY} tasks in flight`,
  peers: (options) => [millracePeer(options, false), millracePeer(options, true), bullmqPeer(options)],
  ratios: [['millrace', 'bullmq'], ['millrace-queued', 'bullmq']],
  runTimeoutMs: (options) => (options.quick ? 60_000 : 180_000),
};

function taskCount(options: BenchOptions): number {
  return options.quick ? 1_000 : 10_000;
}

/** The millrace shape: a task that lists the items, a batch over them, a task that takes every output. */
const dagProcess = defineProcess<{ tasks: number }>('bench-dag', 1, (p) => {
  const fanOut = p.task('fan-out', { task: 'dag-fan-out' });
  const items = p.batch('items', { task: 'dag-noop', after: [fanOut], items: ({ outputs }) => outputs['fan-out'] as number[] });
  p.task('fan-in', { task: 'dag-fan-in', after: [items], input: ({ outputs }) => outputs.items });
});

function millracePeer(options: BenchOptions, queued: boolean): Peer {
  const dispatch = queued ? 'every task through the queue (localDispatch: false)' : 'tasks handed to the worker in-process';
  return {
    system: queued ? 'millrace-queued' : 'millrace',
    conditions: async () => `embedded engine: SQLite event store and queue (WAL, synchronous=FULL), ${THREADS} worker threads, concurrency ${CONCURRENCY}, ${dispatch}, files under ${tmpdir()}`,
    run: (signal) => runMillraceDag(taskCount(options), { signal, queued }),
  };
}

export interface DagRunOptions {
  signal?: AbortSignal;
  /** Called as the clock starts and stops (the profiling script measures CPU in between). */
  window?: { start(): void; stop(): void };
  /** Every task through the queue: the worker takes none in-process. */
  queued?: boolean;
}

/**
 * One run of the millrace row, in seconds: a fresh data directory, the
 * orchestrator and a worker started before the clock, then one process from
 * `startProcess` to its completion. Exported for the profiling script.
 */
export async function runMillraceDag(tasks: number, { signal, window, queued = false }: DagRunOptions = {}): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-dag-'));
  const millrace = await createMillrace({ dataDir: dir, threads: THREADS, logLevel: 'silent' });
  try {
    await millrace.startWorker({ tasks: new URL('./dag-tasks.ts', import.meta.url), concurrency: CONCURRENCY, ...(queued ? { localDispatch: false } : {}) });
    const orchestrator = await millrace.startOrchestrator();
    orchestrator.register(dagProcess);
    window?.start();
    const start = performance.now();
    const processId = await orchestrator.startProcess(dagProcess.name, { tasks });
    const view = await orchestrator.wait(processId, signal === undefined ? {} : { signal });
    const seconds = (performance.now() - start) / 1000;
    window?.stop();
    if (view.status !== 'completed' || view.output !== tasks) {
      throw new Error(`process ended ${view.status} with output ${JSON.stringify(view.output)}; expected ${tasks} outputs at the fan-in`);
    }
    return seconds;
  } finally {
    await millrace.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same shape as BullMQ builds it: `FlowProducer.add` with a parent
 * whose N children are the no-op tasks; BullMQ moves the parent to its queue
 * when the last child completes, and the parent reads the children's values.
 * There is no fan-out job: the producer is the fan-out, so this row runs one
 * job fewer than millrace's.
 *
 * What keeps BullMQ at its best: the whole flow goes in one `add` (one atomic
 * multi, one round trip; `addBulk` is for many flows, not many children);
 * children are removed on completion (their values stay in the parent's
 * `processed` hash, which is what `getChildrenValues` reads), as an acked
 * millrace message is deleted too; and the worker's `completed` event is
 * local, so no `QueueEvents` stream is read to learn the parent finished.
 */
function bullmqPeer(options: BenchOptions): Peer {
  return {
    system: 'bullmq',
    unavailable: async () => ((await isServiceUp('redis')) ? undefined : `Redis is not reachable on ${REDIS.host}:${REDIS.port}`),
    conditions: async () => `${await describeRedis()}; one Worker, concurrency ${CONCURRENCY}, processors in-process`,
    run: async (signal) => {
      const tasks = taskCount(options);
      const name = `millrace-bench-dag-${randomUUID()}`;
      const connection = { ...REDIS, maxRetriesPerRequest: null };
      const children = Array.from({ length: tasks }, (_, i) => ({ name: 'noop', queueName: name, data: { i }, opts: { removeOnComplete: true } }));
      const flow = { name: 'fan-in', queueName: name, data: {}, children };
      const producer = new FlowProducer({ connection });
      const queue = new Queue(name, { connection });
      const done = settled<unknown>();
      const worker = new Worker(name, async (job: Job) => (job.name === 'fan-in' ? Object.keys(await job.getChildrenValues()).length : null), { connection, concurrency: CONCURRENCY });
      worker.on('completed', (job, result) => {
        if (job.name === 'fan-in') done.resolve(result);
      });
      worker.on('failed', (_job, error) => done.reject(error));
      worker.on('error', (error) => done.reject(error));
      try {
        await Promise.all([producer.waitUntilReady(), queue.waitUntilReady(), worker.waitUntilReady()]);
        const start = performance.now();
        await producer.add(flow);
        const result = await untilAborted(done.promise, signal);
        const seconds = (performance.now() - start) / 1000;
        if (result !== tasks) throw new Error(`the parent saw ${JSON.stringify(result)} children values; expected ${tasks}`);
        return seconds;
      } finally {
        await worker.close(true).catch(() => undefined);
        await queue.obliterate({ force: true }).catch(() => undefined);
        await Promise.all([queue.close(), producer.close()]).catch(() => undefined);
      }
    },
  };
}

/** Redis's durability and version, printed with the bullmq row (see bench/README.md). */
async function describeRedis(): Promise<string> {
  const client = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
    const setting = async (key: string): Promise<string> => ((await client.config('GET', key)) as string[])[1] ?? '?';
    const aof = await setting('appendonly');
    const durability = aof === 'yes' ? `AOF on, appendfsync=${await setting('appendfsync')}` : `AOF off, save="${await setting('save')}"`;
    return `BullMQ ${bullmqVersion()} FlowProducer on Redis ${version}, ${durability}`;
  } catch (error) {
    return `Redis settings unknown (${messageOf(error)})`;
  } finally {
    client.disconnect();
  }
}

function bullmqVersion(): string {
  const pkg = createRequire(import.meta.url)('bullmq/package.json') as { version?: string };
  return pkg.version ?? 'unknown';
}

/** A promise with its settle functions; a rejection before anyone awaits does not crash the process. */
function settled<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** `promise`, or a rejection as soon as `signal` aborts (the run's deadline). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
