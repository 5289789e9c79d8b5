/**
 * @module mapreduce/define-map-reduce
 * `defineMapReduce`: MapReduce as a process template. It returns the
 * process definition *and* the task definitions it runs, as own properties
 * of one object, so a module that exports the job is at once the module
 * the orchestrator registers and the task module every worker thread loads
 * (`collectTasks` finds the tasks among an exported object's values).
 *
 * ```
 *  input blobs ─▶ map × splits ──▶ runs (R partitions each, sorted) ──▶ reduce × R ──▶ R output blobs ─▶ finalize?
 *   (refs)       <name>:map         mapreduce/<pid>/map-<split>-<run>     <name>:reduce   …/reduce-<r>       <name>:finalize
 * ```
 *
 * **Determinism.** For the same inputs and split size, the outputs are the
 * same bytes whatever the number of workers, the order tasks finish in, or
 * how many times any task ran: splits come from sizes alone; a split's runs
 * depend only on its records (see `map-runner.ts`); partitions come from a
 * stable hash; reducers merge runs in split order; outputs are sorted by
 * key. Across *different* split sizes the outputs match when `combine` and
 * `reduce` do not depend on how values are grouped — true of sums, counts,
 * minima; that is the contract of a combiner anyway.
 */
import { MillraceError } from '../core/errors.js';
import { defineProcess, STEP_NAME_PATTERN, type ProcessDefinition } from '../jobs/process-definition.js';
import type { BlobBody, BlobRef } from '../ports/blob-store.js';
import { defineTask, type TaskDefinition } from '../workers/task-definition.js';
import { assertJsonValue } from './json-value.js';
import { runMap } from './map-runner.js';
import type {
  FinalizeContext, FinalizeTaskInput, MapReduceInput, MapReduceOptions, MapReduceResult, MapReduceStats,
  MapTaskInput, MapTaskOutput, ReduceTaskInput, ReduceTaskOutput, RejectSample,
} from './map-reduce-types.js';
import { runReduce } from './reduce-runner.js';
import { readPairs, segmentsOf } from './run-format.js';
import { MIN_SPLIT_BYTES, planSplits, type Split } from './split-plan.js';

/** A MapReduce job: its process and the tasks the process runs. */
export interface MapReduceJob<F = unknown> {
  readonly name: string;
  /** Start it with `runProcess(job.process, { inputs })`; its output is a {@link MapReduceResult}. */
  readonly process: ProcessDefinition<MapReduceInput>;
  readonly mapTask: TaskDefinition<MapTaskInput, MapTaskOutput>;
  readonly reduceTask: TaskDefinition<ReduceTaskInput, ReduceTaskOutput>;
  readonly finalizeTask: TaskDefinition<FinalizeTaskInput, F | null> | undefined;
}

export const DEFAULT_SPLIT_BYTES = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
/**
 * Every map task reports R partition bounds and every reduce task's input
 * lists M segments, all through the orchestrator's history: R × M grows the
 * history, so R is kept to what a cluster can use (tens to hundreds).
 */
const MAX_PARTITIONS = 1000;
/** Failures a retry cannot mend: the same bytes would be read or written again. */
const NON_RETRYABLE = ['BLOB_NOT_FOUND', 'BLOB_CONFLICT', 'BLOB_HASH_MISMATCH', 'BLOB_KEY_INVALID', 'STORAGE_CORRUPT'];

/**
 * Map tasks one worker thread runs at once: one. Its reads go on ahead of
 * it (`readAhead` in the split reader), so a thread does not wait on the
 * store between chunks. The rest wait in the worker pool, not on a thread,
 * and go to whichever thread frees a slot first, so a thread that falls
 * behind takes fewer splits. Each map task on a thread keeps its buffer of
 * keys alive, which the garbage collector marks on the cores the map
 * needs: fifteen at once doubled its marking; two against one (one read
 * ahead each) was 4–6 % slower on page-hits (`npm run bench -- mapreduce`,
 * alternated, docs/mapreduce.md).
 */
export const MAP_TASKS_PER_THREAD = 1;

/**
 * Defines a MapReduce job over line records.
 *
 * @example
 * ```ts
 * // word-count.ts: export the job; workers load this module, the orchestrator runs job.process
 * export const wordCount = defineMapReduce<number, number>({
 *   name: 'word-count', version: 1, partitions: 4,
 *   map: (line, emit) => { for (const word of line.split(/\s+/)) if (word) emit(word, 1) },
 *   combine: (a, b) => a + b,
 *   reduce: (_word, counts) => counts.reduce((a, b) => a + b, 0),
 * })
 * // elsewhere: const view = await millrace.runProcess(wordCount.process, { inputs: await uploadFiles(millrace.blobs, ['book.txt']) })
 * ```
 * @throws `CONFIG_INVALID` naming the bad option
 */
export function defineMapReduce<V, R = V, F = unknown>(options: MapReduceOptions<V, R, F>): MapReduceJob<F> {
  const job = { ...options };
  const { name, partitions } = job;
  const where = `mapreduce "${String(name)}"`;
  if (typeof name !== 'string' || !STEP_NAME_PATTERN.test(name)) invalid(`${where}: name must match ${STEP_NAME_PATTERN}`);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) invalid(`${where}: partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${partitions}`);
  if (typeof job.map !== 'function' || typeof job.reduce !== 'function') invalid(`${where}: map and reduce must be functions`);
  for (const field of ['combine', 'finalize'] as const) {
    if (job[field] !== undefined && typeof job[field] !== 'function') invalid(`${where}: ${field} must be a function`);
  }
  const splitBytes = job.splitBytes ?? DEFAULT_SPLIT_BYTES;
  if (!Number.isSafeInteger(splitBytes) || splitBytes < MIN_SPLIT_BYTES) invalid(`${where}: splitBytes must be an integer ≥ ${MIN_SPLIT_BYTES}, got ${splitBytes}`);
  for (const field of ['spillBytes', 'maxRecordBytes', 'timeoutMs'] as const) {
    const value = job[field];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) invalid(`${where}: ${field} must be a positive integer, got ${value}`);
  }
  if (job.mergeInMemoryBytes !== undefined && !(Number.isSafeInteger(job.mergeInMemoryBytes) && job.mergeInMemoryBytes >= 0)) invalid(`${where}: mergeInMemoryBytes must be an integer ≥ 0`);
  if (job.rejectSamples !== undefined && !(Number.isInteger(job.rejectSamples) && job.rejectSamples >= 0)) invalid(`${where}: rejectSamples must be an integer ≥ 0`);

  const timeoutMs = job.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retry = { ...job.retry, nonRetryable: [...(job.retry?.nonRetryable ?? []), ...NON_RETRYABLE] };
  const settings = { retry, timeoutMs };
  const mapTask = defineTask<MapTaskInput, MapTaskOutput>(`${name}:map`, (input, task) => runMap(job, input, task), { ...settings, perThread: MAP_TASKS_PER_THREAD });
  const reduceTask = defineTask<ReduceTaskInput, ReduceTaskOutput>(`${name}:reduce`, (input, task) => runReduce(job, input, task), settings);
  const finalize = job.finalize;
  const finalizeTask = finalize === undefined ? undefined : defineTask<FinalizeTaskInput, F | null>(`${name}:finalize`, async (input, task) => {
    const context: FinalizeContext = {
      processId: input.processId, blobs: task.blobs, signal: task.signal, stats: input.stats,
      pairs: <T>(ref: BlobRef) => readPairs<T>(task.blobs, ref, { signal: task.signal }),
      write: (file, body) => task.blobs.put(`mapreduce/${input.processId}/final/${file}`, asBlobBody(body)),
    };
    const result = await finalize(input.outputs, context);
    if (result === undefined) return null;
    assertJsonValue(result, () => `finalize of "${name}" returned a value that`);
    return result;
  }, settings);

  const samples = job.rejectSamples ?? 10;
  const process = defineProcess<MapReduceInput>(name, job.version, (p) => {
    const map = p.batch('map', {
      task: mapTask.name, ...settings,
      items: ({ input }) => splitsOf(where, input, splitBytes),
      input: (split: Split, _index, { processId }): MapTaskInput => ({ processId, split }),
    });
    const reduce = p.batch('reduce', {
      task: reduceTask.name, after: [map], ...settings,
      items: () => Array.from({ length: partitions }, (_, partition) => partition),
      input: (partition: number, _index, { processId, outputs }): ReduceTaskInput => ({
        processId, partition, segments: segmentsOf((outputs.map as MapTaskOutput[]).flatMap((m) => m.runs), partition),
      }),
    });
    if (finalizeTask !== undefined) {
      p.task('finalize', {
        task: finalizeTask.name, after: [reduce], ...settings,
        input: ({ processId, input, outputs }): FinalizeTaskInput => ({
          processId, outputs: (outputs.reduce as ReduceTaskOutput[]).map((r) => r.ref), stats: statsOf(input, partitions, outputs),
        }),
      });
    }
    p.output(({ input, outputs }): MapReduceResult => {
      const stats = statsOf(input, partitions, outputs);
      return {
        outputs: (outputs.reduce as ReduceTaskOutput[]).map((r) => r.ref),
        ...(finalizeTask === undefined ? {} : { result: outputs.finalize }),
        stats,
        rejects: { count: stats.rejected, samples: firstSamples(outputs.map as MapTaskOutput[], samples) },
      };
    });
  });
  return Object.freeze({ name, process, mapTask, reduceTask, finalizeTask });
}

/** The splits of a process input, refusing inputs that are not blob refs with a message that says what is expected. */
function splitsOf(where: string, input: unknown, splitBytes: number): Split[] {
  const given = input as Partial<MapReduceInput> | null;
  if (typeof given !== 'object' || given === null || !Array.isArray(given.inputs)) {
    throw new MillraceError('CONFIG_INVALID', `${where}: the process input must be { inputs: BlobRef[] } (upload files with uploadFiles), got ${JSON.stringify(input)?.slice(0, 100)}`);
  }
  given.inputs.forEach((ref: unknown, i) => {
    const r = ref as Partial<BlobRef> | null;
    if (typeof r !== 'object' || r === null || typeof r.key !== 'string' || typeof r.store !== 'string' || typeof r.size !== 'number' || typeof r.sha256 !== 'string') {
      throw new MillraceError('CONFIG_INVALID', `${where}: inputs[${i}] is not a blob ref ({ store, key, size, sha256 }), got ${JSON.stringify(ref)?.slice(0, 100)}`);
    }
  });
  return planSplits(given.inputs, given.splitBytes ?? splitBytes);
}

function statsOf(input: unknown, partitions: number, outputs: Readonly<Record<string, unknown>>): MapReduceStats {
  const refs = (input as MapReduceInput).inputs;
  const maps = (outputs.map ?? []) as MapTaskOutput[];
  const reduces = (outputs.reduce ?? []) as ReduceTaskOutput[];
  const sum = <T>(items: readonly T[], of: (item: T) => number): number => items.reduce((total, item) => total + of(item), 0);
  return {
    inputs: refs.length, inputBytes: sum(refs, (r) => r.size), splits: maps.length, partitions,
    records: sum(maps, (m) => m.records), emitted: sum(maps, (m) => m.emitted), rejected: sum(maps, (m) => m.rejected),
    runs: sum(maps, (m) => m.runs.length), keys: sum(reduces, (r) => r.keys),
  };
}

/** The first `count` rejects in input order: each split keeps its first ones, and splits are in order. */
function firstSamples(maps: readonly MapTaskOutput[], count: number): RejectSample[] {
  const samples: RejectSample[] = [];
  for (const map of maps) {
    for (const sample of map.samples) {
      if (samples.length >= count) return samples;
      samples.push(sample);
    }
  }
  return samples;
}

/** Sync iterables (a generator of chunks) become async ones, which `BlobStore.put` takes. */
function asBlobBody(body: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): BlobBody {
  if (body instanceof Uint8Array || Symbol.asyncIterator in body) return body;
  return (async function* chunks() {
    yield* body;
  })();
}

function invalid(message: string): never {
  throw new MillraceError('CONFIG_INVALID', message);
}
