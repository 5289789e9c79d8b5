/**
 * @module mapreduce/map-runner
 * The body of a map task: read the split's records, call the user's `map`
 * on each, buffer (and combine) what it emits, and write runs.
 *
 * ```
 *  getRange ─▶ split-reader ─▶ eachLine ─▶ map(record, emit, ctx) ─▶ MapBuffer ─▶ run blob(s)
 *  (1 MiB chunks, one read ahead)          │ reject → count + samples     (spill at spillBytes)
 * ```
 *
 * Determinism, which retries rely on: run keys are
 * `mapreduce/<processId>/map-<split>-<run>` (flat: a directory per split
 * would cost the file store a mkdir and more directory fsyncs per put), and a run's bytes depend only
 * on the split's records (keys sorted, or in first-emit order; spill
 * points and the choice to sort from emitted sizes). A
 * retried task therefore writes the same keys with the same bytes, which
 * the immutable blob store accepts as a no-op. Different bytes mean a
 * non-deterministic map and fail the job with `BLOB_CONFLICT` saying so.
 */
import { MillraceError, hasCode, messageOf } from '../core/errors.js';
import { NonRetryableError } from '../core/failure.js';
import type { TaskContext } from '../workers/task-definition.js';
import { eachLine } from './line-decoder.js';
import { MapBuffer } from './map-buffer.js';
import type { MapContext, MapReduceOptions, MapTaskInput, MapTaskOutput, RejectSample } from './map-reduce-types.js';
import { encodeRun, SORTED_RUN_BYTES, type RunRef } from './run-format.js';
import { readSplit } from './split-reader.js';

const SAMPLE_CHARS = 200;
/** Runs the map side of `job` over one split (a thread runs at most `MAP_TASKS_PER_THREAD` at once: see define-map-reduce). */
export async function runMap<V>(job: MapReduceOptions<V, unknown, unknown>, input: MapTaskInput, task: TaskContext): Promise<MapTaskOutput> {
  const { split, processId } = input;
  const partitions = job.partitions;
  const spillBytes = job.spillBytes ?? 64 * 1024 * 1024;
  const maxSamples = job.rejectSamples ?? 10;
  const buffer = new MapBuffer<V>(job.name, job.combine);
  const runs: RunRef[] = [];
  const samples: RejectSample[] = [];
  let records = 0;
  let rejected = 0;
  // The record being mapped, for reject samples and error messages.
  let record = '';
  let recordAt = 0;
  let blockOffset = 0;

  const reject = (reason: string, text = record, offset = blockOffset + recordAt): void => {
    rejected++;
    if (samples.length < maxSamples) samples.push({ input: split.ref.key, offset, reason: String(reason), record: text.slice(0, SAMPLE_CHARS) });
  };
  const context: MapContext = { reject: (reason) => reject(reason), split: split.index, input: split.ref.key, attempt: task.attempt };
  const map = job.map;
  const emit = buffer.emit;
  const visit = (line: string, at: number): void => {
    record = line;
    recordAt = at;
    records++;
    map(line, emit, context);
  };

  const spill = async (): Promise<void> => {
    const run: RunRef = { ref: undefined as never, bounds: [], sha256: [], sorted: buffer.bytes >= SORTED_RUN_BYTES };
    const key = `mapreduce/${processId}/map-${split.index}-${runs.length}`;
    const body = encodeRun([...buffer.keys], partitions, (k) => buffer.valuesJson(k), run);
    run.ref = await putRun(task, key, body, job.name, split.index);
    runs.push(run);
    buffer.clear();
  };

  let mapping = false;
  try {
    for await (const block of readSplit(task.blobs, split.ref, split.start, split.end, { signal: task.signal, maxRecordBytes: job.maxRecordBytes })) {
      if (block.kind === 'oversized') {
        records++;
        reject(`record longer than ${job.maxRecordBytes ?? 16 * 1024 * 1024} bytes, skipped`, block.head.toString('utf8'), block.offset);
        continue;
      }
      blockOffset = block.offset;
      mapping = true;
      eachLine(block.bytes, visit);
      mapping = false;
      if (buffer.bytes > spillBytes) await spill();
    }
  } catch (error) {
    if (task.signal.aborted) throw error;
    throw mapping ? mapFailure(error, job.name, input, record, blockOffset + recordAt) : readFailure(error, input);
  }
  if (buffer.size > 0) await spill();
  return { split: split.index, runs, records, emitted: buffer.emitted, rejected, samples };
}

async function putRun(task: TaskContext, key: string, body: Iterable<Buffer>, jobName: string, split: number): Promise<RunRef['ref']> {
  try {
    return await task.blobs.put(key, toAsync(body));
  } catch (error) {
    if (!hasCode(error, 'BLOB_CONFLICT')) throw error;
    throw new MillraceError('BLOB_CONFLICT',
      `map of "${jobName}", split ${split}: this attempt emitted different output than an earlier attempt of the same split, so "${key}" cannot be written. `
      + 'map and combine must be deterministic: the same records must emit the same keys and values in the same order (no clock, no randomness, no outside state).',
      { key });
  }
}

async function* toAsync(body: Iterable<Buffer>): AsyncGenerator<Buffer> {
  yield* body;
}

/** A failure reading the input, in terms of the input. */
function readFailure(error: unknown, input: MapTaskInput): unknown {
  const { split } = input;
  const where = `input ${split.input + 1} ("${split.ref.key}")`;
  if (hasCode(error, 'BLOB_NOT_FOUND')) {
    return new MillraceError('BLOB_NOT_FOUND', `${where} is not in blob store "${split.ref.store}": upload it first (uploadFiles) and pass the ref that returns`, { key: split.ref.key });
  }
  if (hasCode(error, 'BLOB_HASH_MISMATCH') || hasCode(error, 'BLOB_RANGE_INVALID')) {
    return new MillraceError('BLOB_HASH_MISMATCH', `${where} no longer matches its ref (${split.ref.size} bytes): ${messageOf(error)}`, { key: split.ref.key });
  }
  return error;
}

/** A throw from the user's map (or an emit it made), with the record it was mapping. Keeps the error's code and retryability. */
function mapFailure(error: unknown, jobName: string, input: MapTaskInput, record: string, offset: number): unknown {
  const { split } = input;
  const message = `map of "${jobName}" failed on the record at byte ${offset} of input ${split.input + 1} ("${split.ref.key}"), split ${split.index}: `
    + `${messageOf(error)} — record: ${JSON.stringify(record.slice(0, SAMPLE_CHARS))}`;
  if (error instanceof MillraceError) return new MillraceError(error.code, message, error.details, { cause: error });
  if (error instanceof NonRetryableError) return new NonRetryableError(message, { cause: error });
  return new MillraceError('TASK_FAILED', message, { split: split.index }, { cause: error });
}
