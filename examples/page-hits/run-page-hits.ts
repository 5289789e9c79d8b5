/**
 * @module examples/page-hits/run-page-hits
 * Runs page-hits on local files with an engine the caller owns: uploads the
 * files to its blob store, runs the process, and copies the CSV out. The
 * caller starts a worker on {@link PAGE_HITS_TASKS} first (or points a
 * running `millrace worker` at it). Types only from the runtime, so this
 * module stays light enough for a worker thread to load.
 */
import { writeFile } from 'node:fs/promises';
import { MillraceError } from '../../src/core/errors.js';
import type { ProcessView } from '../../src/jobs/process-view.js';
import type { MapReduceResult } from '../../src/mapreduce/map-reduce-types.js';
import { uploadFiles } from '../../src/mapreduce/upload-files.js';
import type { Millrace } from '../../src/runtime/millrace.js';
import { pageHits, type PageHitsSummary } from './page-hits.js';

/** The task module a worker must load to serve page-hits (this directory's `page-hits` module). */
export const PAGE_HITS_TASKS = new URL(`./page-hits${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export interface RunPageHitsOptions {
  /** Where to write `page-hits.csv`. @defaultValue not written (it stays in the blob store) */
  out?: string;
  /** Split size for this run. @defaultValue the job's (32 MiB) */
  splitBytes?: number;
  processId?: string;
  signal?: AbortSignal;
}

/** A finished run. */
export interface PageHitsRun {
  processId: string;
  result: MapReduceResult<PageHitsSummary>;
  /** `out`, when given. */
  csvPath?: string;
  /** From process start to completion (upload excluded). */
  elapsedMs: number;
}

/**
 * Counts page hits in `files`.
 *
 * @example
 * ```ts
 * const millrace = await createMillrace()
 * await millrace.startWorker({ tasks: PAGE_HITS_TASKS })
 * const run = await runPageHits(millrace, ['access.log'], { out: 'page-hits.csv' })
 * console.log(run.result.result?.top, run.result.rejects)
 * ```
 * @throws `INPUT_NOT_FOUND` for a missing file; `TASK_FAILED` with the process's failure reason if the job fails
 */
export async function runPageHits(millrace: Pick<Millrace, 'blobs' | 'runProcess'>, files: readonly string[], options: RunPageHitsOptions = {}): Promise<PageHitsRun> {
  const inputs = await uploadFiles(millrace.blobs, files);
  const started = performance.now();
  const view: ProcessView = await millrace.runProcess(pageHits.process, { inputs, ...(options.splitBytes === undefined ? {} : { splitBytes: options.splitBytes }) }, {
    ...(options.processId === undefined ? {} : { processId: options.processId }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const elapsedMs = performance.now() - started;
  if (view.status !== 'completed') {
    const why = view.failure?.reason ?? view.cancelReason ?? view.status;
    throw new MillraceError('TASK_FAILED', `page-hits ${view.status}: ${why}`, { processId: view.processId });
  }
  const result = view.output as MapReduceResult<PageHitsSummary>;
  if (options.out === undefined) return { processId: view.processId, result, elapsedMs };
  await writeFile(options.out, await millrace.blobs.get(result.result!.csv));
  return { processId: view.processId, result, csvPath: options.out, elapsedMs };
}
