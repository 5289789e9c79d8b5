/**
 * @module mapreduce/map-reduce-types
 * The shapes a MapReduce job is written against and the data its tasks
 * exchange. Glossary:
 *
 * - **record**: one line of an input, decoded as UTF-8, without its `\n`
 *   (or `\r\n`).
 * - **split**: a byte range of one input, read by one map task.
 * - **run**: what a map task writes at once: all partitions, each sorted.
 * - **partition**: the keys one reduce task owns, `hashKey(key) % R`.
 * - **reject**: a record the map refused (`ctx.reject`), counted and sampled.
 */
import type { BlobRef, BlobStore } from '../ports/blob-store.js';
import type { RetryPolicy } from '../workers/retry-policy.js';
import type { RunRef, Segment } from './run-format.js';
import type { Split } from './split-plan.js';

/** What a map function sees besides the record. */
export interface MapContext {
  /** Counts the current record as malformed, with a reason; the job goes on. */
  reject(reason: string): void;
  /** Index of the split being read. */
  readonly split: number;
  /** Key of the input blob being read. */
  readonly input: string;
  /** 1 on a task's first run. */
  readonly attempt: number;
}

/** What `finalize` sees besides the reduce outputs. */
export interface FinalizeContext {
  readonly processId: string;
  readonly blobs: BlobStore;
  readonly signal: AbortSignal;
  /** Totals of the run. */
  readonly stats: MapReduceStats;
  /** The pairs of one reduce output, in key order. */
  pairs<R = unknown>(ref: BlobRef): AsyncGenerator<[string, R]>;
  /** Stores a result blob under this process's output prefix and returns its ref. */
  write(name: string, body: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<BlobRef>;
}

/** Options of {@link defineMapReduce}. */
export interface MapReduceOptions<V, R, F> {
  /** Process name; tasks are named `<name>:map`, `<name>:reduce`, `<name>:finalize`. */
  name: string;
  /** Process version (bump it when the job's logic changes). */
  version: number;
  /**
   * Called once per record; emits zero or more pairs or rejects the record.
   * Synchronous and deterministic: the same record must emit the same pairs
   * in the same order on every attempt. A throw fails the task (retried per
   * `retry`; a `NonRetryableError` fails the job at once).
   */
  map: (record: string, emit: (key: string, value: V) => void, context: MapContext) => void;
  /**
   * Folds a value into a key's accumulated value on the map side. Must be
   * associative and commutative with `reduce` (as a sum is): the job's result
   * must not depend on how records fall into splits. @defaultValue none: every pair travels
   */
  combine?: (accumulated: V, value: V, key: string) => V;
  /** Turns all values of a key (in split order) into the key's result. */
  reduce: (key: string, values: V[]) => R;
  /** R: reduce tasks and output blobs. An integer from 1 to 1000. */
  partitions: number;
  /** Target split size in bytes; a process input may override it. @defaultValue 32 MiB */
  splitBytes?: number;
  /** Reads the reduce outputs and builds the final artefact; its return value (JSON) is the job's `result`. @defaultValue none */
  finalize?: (outputs: BlobRef[], context: FinalizeContext) => Promise<F> | F;
  /** Retry policy of every step. @defaultValue 3 attempts, 500 ms doubling, full jitter */
  retry?: Partial<RetryPolicy>;
  /**
   * Time limit of one task. A map task shares its thread with the others in
   * flight on it, so this scales with `splitBytes` and concurrency. @defaultValue 1 800 000 ms (30 minutes)
   */
  timeoutMs?: number;
  /** A map task writes a run and empties its buffer when the buffer passes this estimate. @defaultValue 64 MiB */
  spillBytes?: number;
  /** Rejected records kept as samples per map task, and in the job's result. @defaultValue 10 */
  rejectSamples?: number;
  /** Records longer than this are rejected unread instead of held in memory. @defaultValue 16 MiB */
  maxRecordBytes?: number;
  /**
   * A reduce partition whose runs add up to at most this many bytes is
   * merged in a hash map (fast); a larger one is streamed through a k-way
   * merge (bounded memory). Same result either way. @defaultValue 64 MiB
   */
  mergeInMemoryBytes?: number;
}

/** The process input. */
export interface MapReduceInput {
  /** Input blobs, read in order (upload files with `uploadFiles`). */
  inputs: BlobRef[];
  /** Overrides the job's `splitBytes` for this run. */
  splitBytes?: number;
}

/** A rejected record. */
export interface RejectSample {
  /** Key of the input blob. */
  input: string;
  /** Byte offset of the record in that input. */
  offset: number;
  reason: string;
  /** The record, cut to 200 characters. */
  record: string;
}

/** Totals of a run. */
export interface MapReduceStats {
  inputs: number;
  inputBytes: number;
  splits: number;
  partitions: number;
  records: number;
  /** Pairs emitted by map (before combining). */
  emitted: number;
  rejected: number;
  /** Runs written by the map tasks (more than splits when buffers spilled). */
  runs: number;
  /** Distinct keys in the outputs. */
  keys: number;
}

/** The process output. */
export interface MapReduceResult<F = unknown> {
  /** One blob per partition: `"key"\tvalue` lines in key order (read them with `readPairs`). */
  outputs: BlobRef[];
  /** What `finalize` returned; absent without one. */
  result?: F;
  stats: MapReduceStats;
  /** Rejected records: how many, and the first few in input order. */
  rejects: { count: number; samples: RejectSample[] };
}

/** Input of a map task. */
export interface MapTaskInput {
  processId: string;
  split: Split;
}

/** Output of a map task: small refs, never the data. */
export interface MapTaskOutput {
  split: number;
  runs: RunRef[];
  records: number;
  emitted: number;
  rejected: number;
  samples: RejectSample[];
}

/** Input of a reduce task: its partition of every run, in split order. */
export interface ReduceTaskInput {
  processId: string;
  partition: number;
  segments: Segment[];
}

export interface ReduceTaskOutput {
  partition: number;
  ref: BlobRef;
  keys: number;
}

/** Input of the finalize task. */
export interface FinalizeTaskInput {
  processId: string;
  outputs: BlobRef[];
  stats: MapReduceStats;
}
