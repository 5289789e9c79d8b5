/**
 * @module bench/queries-load
 * The pieces of the queries benchmark: a generated dataset (kept between
 * runs under bench/.data/), a query system as the embedded engine
 * would run it (in-memory query queue, a TaskWorker over worker threads,
 * the QueryService and its Fastify routes), and simulated users who zoom
 * and pan through 512 × 512 heatmaps.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { FileBlobStore } from '../src/adapters/embedded/file-blob-store.js';
import { MemoryTaskQueue } from '../src/adapters/embedded/memory-task-queue.js';
import { WorkerPool } from '../src/workers/worker-pool.js';
import { TaskWorker } from '../src/workers/task-worker.js';
import { findDataset, type DatasetRevision } from '../src/queries/dataset/dataset-catalog.js';
import { generateDataset } from '../src/queries/generate/generate-dataset.js';
import { registerDatasetRoutes } from '../src/queries/http/dataset-routes.js';
import { createQueueStripRunner, QUERY_QUEUE } from '../src/queries/scatter/queue-strip-runner.js';
import { QueryService, type QueryServiceOptions } from '../src/queries/service/query-service.js';
import { QUERY_TASKS_MODULE } from '../src/queries/worker/query-tasks.js';

/** Generated datasets, kept between runs (git-ignored): the 4 GB one takes minutes to write. */
export const BENCH_DATA = fileURLToPath(new URL('./.data/queries/', import.meta.url));

export interface BenchDataset {
  root: string;
  blobs: FileBlobStore;
  revision: DatasetRevision;
  rawBytes: number;
  storedBytes: number;
}

/** The dataset, generated on first use and reused by later runs with the same shape. */
export async function benchDataset(files: number, totalBytes: number): Promise<BenchDataset> {
  const root = join(BENCH_DATA, `${files}x${totalBytes}`);
  mkdirSync(root, { recursive: true });
  const blobs = new FileBlobStore({ root: join(root, 'blobs') });
  let revision = await findDataset(blobs, 'bench');
  if (revision === undefined) {
    const started = Date.now();
    let last = 0;
    revision = await generateDataset({
      blobs, name: 'bench', files, totalBytes, seed: 42,
      onProgress: (p) => {
        if (Date.now() - last < 5_000) return;
        last = Date.now();
        console.log(`  generating: ${p.scansDone}/${p.scansTotal} scans`);
      },
    });
    console.log(`  generated ${files} files in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const files_ = revision.manifest.files;
  return { root, blobs, revision, rawBytes: files_.reduce((s, f) => s + f.scans * f.bins * 4, 0), storedBytes: files_.reduce((s, f) => s + f.ref.size, 0) };
}

/** A running query system: queue, threads, service, routes. */
export interface QuerySystem {
  app: FastifyInstance;
  service: QueryService;
  close(): Promise<void>;
}

export async function startSystem(dataset: BenchDataset, options: Partial<QueryServiceOptions> = {}): Promise<QuerySystem> {
  const queue = new MemoryTaskQueue();
  const pool = new WorkerPool({
    threadEntry: new URL('../src/runtime/thread-main.ts', import.meta.url),
    threadData: { tasksModule: QUERY_TASKS_MODULE, blobStore: { kind: 'fs', root: join(dataset.root, 'blobs') }, claimCheckBytes: 16 * 1024 * 1024, logLevel: 'warn' },
    size: availableParallelism(),
  });
  await pool.start();
  const worker = new TaskWorker({ queue, pool, queueName: QUERY_QUEUE, concurrency: 4 * availableParallelism() });
  await worker.start();
  const service = new QueryService({ blobs: dataset.blobs, runner: createQueueStripRunner({ queue, blobs: dataset.blobs }), ...options });
  const app = Fastify();
  await registerDatasetRoutes(app, service);
  return {
    app, service,
    close: async () => {
      await app.close();
      await worker.stop({ drain: false });
      await pool.close();
      await queue.close();
    },
  };
}

/** One request's outcome. */
export interface Sample {
  ms: number;
  status: number;
  hit: boolean;
  /** Bytes the computation read (0 for a cache hit). */
  bytesRead: number;
  bytesReturned: number;
  /** Slots of the answer × 4 bytes: the grid as float32. */
  gridBytes: number;
  /** Zoom depth: 0 is the whole file. */
  depth: number;
}

interface View { file: string; rtMin: number; rtMax: number; mzMin: number; mzMax: number }

/** Users who zoom in, pan and zoom out through one file each, for `durationMs`. */
export async function simulateUsers(system: QuerySystem, revision: DatasetRevision, options: { users: number; durationMs: number; thinkMs: [number, number]; seed: number }): Promise<Sample[]> {
  const samples: Sample[] = [];
  const endAt = Date.now() + options.durationMs;
  let state = options.seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 2 ** 32;
  };
  const files = revision.manifest.files;
  const user = async (): Promise<void> => {
    const entry = files[Math.floor(random() * files.length)]!;
    const full: View = { file: entry.id, rtMin: entry.rtMin, rtMax: entry.rtMax + 1, mzMin: entry.mzMin, mzMax: entry.mzMax };
    const stack: View[] = [full];
    await sleep(random() * options.thinkMs[1]); // users arrive spread out
    while (Date.now() < endAt) {
      const view = stack.at(-1)!;
      samples.push(await request(system, view, stack.length - 1));
      const choice = random();
      if (stack.length === 1 || (choice < 0.4 && stack.length < 6)) stack.push(zoomIn(view, 2 + random() * 2, random(), random()));
      else if (choice < 0.7) stack[stack.length - 1] = pan(view, random() - 0.5, random() - 0.5, full);
      else stack.pop();
      const [lo, hi] = options.thinkMs;
      if (hi > 0) await sleep(lo + random() * (hi - lo));
    }
  };
  await Promise.all(Array.from({ length: options.users }, user));
  return samples;
}

async function request(system: QuerySystem, view: View, depth: number): Promise<Sample> {
  const url = `/api/datasets/bench/heatmap.png?files=${view.file}&rtMin=${round(view.rtMin)}&rtMax=${round(view.rtMax)}&mzMin=${round(view.mzMin)}&mzMax=${round(view.mzMax)}&width=512&height=512`;
  const started = performance.now();
  const response = await system.app.inject({ url, payloadAsStream: true }); // no string copy of every PNG (that is the client's cost, not the server's)
  let bytesReturned = 0;
  for await (const chunk of response.stream()) bytesReturned += (chunk as Buffer).length;
  const ms = performance.now() - started;
  const hit = response.headers['x-millrace-cache'] === 'hit';
  const [, , rtN] = String(response.headers['x-millrace-rt'] ?? '0,0,0').split(',').map(Number);
  const [, , mzN] = String(response.headers['x-millrace-mz'] ?? '0,0,0').split(',').map(Number);
  return {
    ms, status: response.statusCode, hit, depth,
    bytesRead: hit ? 0 : Number(response.headers['x-millrace-bytes-read'] ?? 0),
    bytesReturned,
    gridBytes: (rtN ?? 0) * (mzN ?? 0) * 4,
  };
}

function zoomIn(view: View, factor: number, x: number, y: number): View {
  const rtSpan = (view.rtMax - view.rtMin) / factor;
  const mzSpan = (view.mzMax - view.mzMin) / factor;
  const rtMin = view.rtMin + x * (view.rtMax - view.rtMin - rtSpan);
  const mzMin = view.mzMin + y * (view.mzMax - view.mzMin - mzSpan);
  return { file: view.file, rtMin, rtMax: rtMin + rtSpan, mzMin, mzMax: mzMin + mzSpan };
}

function pan(view: View, dx: number, dy: number, full: View): View {
  const rtSpan = view.rtMax - view.rtMin;
  const mzSpan = view.mzMax - view.mzMin;
  const rtMin = Math.min(Math.max(full.rtMin, view.rtMin + dx * rtSpan), full.rtMax - rtSpan);
  const mzMin = Math.min(Math.max(full.mzMin, view.mzMin + dy * mzSpan), full.mzMax - mzSpan);
  return { file: view.file, rtMin, rtMax: rtMin + rtSpan, mzMin, mzMax: mzMin + mzSpan };
}

function round(v: number): string {
  return v.toFixed(4);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
