/**
 * @module bench/mapreduce
 * page-hits over generated access logs, three ways, in the same run:
 *
 * - `millrace`: the embedded engine (`createMillrace`, one worker thread per
 *   core, the durable SQLite queue and event store, the file blob store)
 *   running the `examples/page-hits` job. The input is uploaded to the blob
 *   store before the clock starts; the clock runs from `runProcess` to the
 *   completed process (map, reduce, finalize writing the CSV).
 * - `single-thread`: the same count written by hand (`page-count.ts`) on
 *   one worker thread, the per-core limit: stream the file, split lines,
 *   parse the page with the same parser, count in a `Map`; then sort and
 *   write the CSV. A worker thread, like the engine's map tasks, so that it
 *   does not share an isolate (and its garbage collections) with the idle
 *   engine in the bench's main thread.
 * - `parallel-ceiling`: that hand-written count on one thread per core, each
 *   on an equal share of the file, counts merged, sorted and written by the
 *   main thread: what this machine allows with no engine at all, *at the
 *   moment of the run*. On a shared or busy machine two threads do not give
 *   twice one; this row says how much they do give, so the engine's own cost
 *   (`millrace/parallel-ceiling`) can be read apart from the machine's.
 *
 * All must produce byte-identical CSVs: every run's CSV is hashed and
 * compared with the first one, and a difference fails the run. All are
 * warmed up (JIT) on a 64 MB prefix before their first measured run.
 * The log file is generated once (seed 1) into a cache directory under the
 * OS temp directory and reused by later runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { generateLogs } from '../examples/page-hits/generate-logs.js';
import { pageHits, type PageHitsSummary } from '../examples/page-hits/page-hits.js';
import { PAGE_HITS_TASKS } from '../examples/page-hits/run-page-hits.js';
import type { MapReduceResult } from '../src/mapreduce/map-reduce-types.js';
import { uploadFiles } from '../src/mapreduce/upload-files.js';
import type { BlobRef } from '../src/ports/blob-store.js';
import { createMillrace, type Millrace } from '../src/runtime/millrace.js';
import type { Benchmark, BenchOptions, Peer } from './harness.js';
import { writePageCsv } from './page-count.js';
import type { CountRequest } from './page-count-thread.js';

const SEED = 1;
/** Bump when the generator's output changes, so a cached file from an older one is not reused. */
const GENERATOR_VERSION = 1;
export const WARM_UP_BYTES = 64e6;
const CACHE_DIR = join(tmpdir(), 'millrace-bench-cache');

export const mapreduceBenchmark: Benchmark = {
  name: 'mapreduce',
  title: 'page-hits over generated access logs',
  unit: 'MB/s',
  higherIsBetter: true,
  workload: (options) => `${inputBytes(options) / 1e6} MB of Combined Log Format logs (seed ${SEED}), ${threads()} worker threads on ${cpus().length} cores, ${splitBytes(options) / 2 ** 20} MiB splits`,
  peers: (options) => {
    const shared = new SharedRun(options);
    return [millracePeer(options, shared), handWrittenPeer(options, shared, 'single-thread', 1), handWrittenPeer(options, shared, 'parallel-ceiling', threads())];
  },
  ratios: [['millrace', 'single-thread'], ['millrace', 'parallel-ceiling'], ['parallel-ceiling', 'single-thread']],
  runTimeoutMs: (options) => (options.quick ? 120_000 : 600_000),
};

function inputBytes(options: BenchOptions): number {
  return options.quick ? 100e6 : 1e9;
}

/** 100 MB in 32 MiB splits would be 3 tasks for 2 threads; 8 MiB splits keep the threads evenly loaded. */
function splitBytes(options: BenchOptions): number {
  return options.quick ? 8 * 2 ** 20 : 32 * 2 ** 20;
}

function threads(): number {
  return availableParallelism();
}

/** The input file and the reference answer, shared by both peers. */
class SharedRun {
  private files: Promise<{ input: string; warmUp: string }> | undefined;
  private reference: { system: string; sha256: string } | undefined;

  constructor(private readonly options: BenchOptions) {}

  /** Generates the logs once per size (kept across bench runs) and a warm-up prefix. */
  prepare(): Promise<{ input: string; warmUp: string }> {
    return (this.files ??= (async () => ({
      input: await cachedLogs(inputBytes(this.options)),
      warmUp: await cachedLogs(WARM_UP_BYTES),
    }))());
  }

  /** Fails unless `csv` is the same bytes as every earlier run's, whichever system made it. */
  check(system: string, csv: Uint8Array): void {
    const sha256 = createHash('sha256').update(csv).digest('hex');
    this.reference ??= { system, sha256 };
    if (sha256 !== this.reference.sha256) {
      throw new Error(`${system}'s page-hits.csv (sha256 ${sha256.slice(0, 12)}…) differs from ${this.reference.system}'s (${this.reference.sha256.slice(0, 12)}…)`);
    }
  }
}

/** Generated logs of about `bytes` (seed 1), made once and kept under the OS temp directory; the path. */
export async function cachedLogs(bytes: number): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `access-v${GENERATOR_VERSION}-${bytes}-seed${SEED}.log`);
  // The generator stops within one line of `bytes`; a file in that window is ours, whole.
  if (existsSync(path) && bytes - statSync(path).size < 1024 && statSync(path).size <= bytes) return path;
  const partial = `${path}.${process.pid}.tmp`;
  await generateLogs(partial, bytes, SEED);
  renameSync(partial, path);
  return path;
}

interface Engine {
  millrace: Millrace;
  dir: string;
  input: BlobRef[];
}

function millracePeer(options: BenchOptions, shared: SharedRun): Peer {
  let engine: Engine | undefined;
  let runs = 0;
  /** One run of the job; the clock covers the process only. */
  const measure = async ({ millrace }: Engine, inputs: BlobRef[]): Promise<{ ms: number; csv: Uint8Array }> => {
    const started = performance.now();
    const view = await millrace.runProcess(pageHits.process, { inputs, splitBytes: splitBytes(options) });
    const ms = performance.now() - started;
    if (view.status !== 'completed') throw new Error(`page-hits ${view.status}: ${view.failure?.reason ?? ''}`);
    const result = view.output as MapReduceResult<PageHitsSummary>;
    return { ms, csv: await millrace.blobs.get(result.result!.csv) };
  };
  /** The engine lives across runs, as a server's would: started, fed its input and warmed up once. */
  const start = async (): Promise<Engine> => {
    const files = await shared.prepare();
    const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-mapreduce-'));
    const millrace = await createMillrace({ dataDir: dir, threads: threads(), logLevel: 'warn' });
    const started: Engine = { millrace, dir, input: [] };
    engine = started;
    await millrace.startWorker({ tasks: PAGE_HITS_TASKS });
    started.input = await uploadFiles(millrace.blobs, [files.input]);
    await measure(started, await uploadFiles(millrace.blobs, [files.warmUp]));
    return started;
  };
  const close = async (): Promise<void> => {
    const open = engine;
    engine = undefined;
    if (open === undefined) return;
    await open.millrace.close();
    rmSync(open.dir, { recursive: true, force: true });
  };
  return {
    system: 'millrace',
    conditions: async () => `createMillrace({ threads: ${threads()} }) (SQLite WAL, synchronous=FULL; file blob store under ${tmpdir()}), ${pageHits.process.name}: map / reduce (4 partitions) / finalize; input uploaded before timing; ${cpus()[0]?.model ?? 'unknown CPU'}`,
    run: async (signal) => {
      try {
        const running = engine ?? (await start());
        signal.throwIfAborted();
        const { ms, csv } = await measure(running, running.input);
        shared.check('millrace', csv);
        return running.input[0]!.size / 1e6 / (ms / 1000);
      } catch (error) {
        await close();
        throw error;
      } finally {
        // The harness has no teardown: close after the last run so the process can exit.
        if (++runs === options.runs) await close();
      }
    },
  };
}

/** Threads start here: they register tsx (a thread does not inherit the parent's loaders), then load the counting module. */
const THREAD_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
(async () => {
  (await import(workerData.tsx)).register();
  await import(workerData.entry);
})();
`;

/**
 * The hand-written count on `threadCount` worker threads, an equal share of
 * the file each (aligned to lines), the counts merged, sorted and written by
 * the main thread. With one thread it is the per-core limit; with one per
 * core, what the machine allows. Both rows run in worker threads, as the
 * engine's map tasks do, so neither pays for the bench's own main isolate
 * (which also holds the idle engine).
 */
function handWrittenPeer(options: BenchOptions, shared: SharedRun, system: string, threadCount: number): Peer {
  let pool: Worker[] | undefined;
  let runs = 0;
  const threadEntry = new URL(`./page-count-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
  const ask = (thread: Worker, request: CountRequest): Promise<Array<[string, number]>> => new Promise((resolve, reject) => {
    thread.once('message', (reply: { ok: boolean; counts?: string; message?: string }) => (reply.ok ? resolve(JSON.parse(reply.counts!) as Array<[string, number]>) : reject(new Error(reply.message))));
    thread.postMessage(request);
  });
  const count = async (threads: Worker[], path: string, out: string): Promise<void> => {
    const size = statSync(path).size;
    const shares = threads.map((thread, i) => ask(thread, { path, start: Math.floor((size * i) / threads.length), end: Math.floor((size * (i + 1)) / threads.length) }));
    const counts = new Map<string, number>();
    for (const share of await Promise.all(shares)) for (const [page, hits] of share) counts.set(page, (counts.get(page) ?? 0) + hits);
    await writePageCsv(counts, out);
  };
  const close = async (): Promise<void> => {
    const threads = pool;
    pool = undefined;
    await Promise.all((threads ?? []).map((thread) => thread.terminate()));
  };
  return {
    system,
    conditions: async () => threadCount === 1
      ? 'one worker thread: fs.createReadStream (1 MiB reads), lines decoded as the engine decodes them, the example\'s CLF parser, a Map; sort and CSV (to a file under the temp directory) on the main thread'
      : `the single-thread count on ${threadCount} worker threads, an equal share of the file each, merged by the main thread`,
    run: async () => {
      const files = await shared.prepare();
      const dir = mkdtempSync(join(tmpdir(), `millrace-bench-${system}-`));
      try {
        const out = join(dir, 'page-hits.csv');
        if (pool === undefined) {
          const tsx = import.meta.resolve('tsx/esm/api');
          pool = Array.from({ length: threadCount }, () => new Worker(THREAD_BOOTSTRAP, { eval: true, workerData: { tsx, entry: threadEntry.href } }));
          await count(pool, files.warmUp, out);
        }
        const started = performance.now();
        await count(pool, files.input, out);
        const ms = performance.now() - started;
        shared.check(system, await readFile(out));
        return statSync(files.input).size / 1e6 / (ms / 1000);
      } catch (error) {
        await close();
        throw error;
      } finally {
        rmSync(dir, { recursive: true, force: true });
        if (++runs === options.runs) await close();
      }
    },
  };
}
