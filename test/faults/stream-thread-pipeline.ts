/**
 * The kill-stream pipeline for runner threads: a thread whose steps have
 * handled `crashAfter` events exits abruptly (`process.exit` in a worker
 * ends only that thread, with no goodbye: its runner leaves by lease
 * expiry), while the shared crash budget (`workerData.threadData`, an
 * Int32Array on a SharedArrayBuffer) lasts.
 */
import { workerData } from 'node:worker_threads';
import { sequencePipeline } from './kill-stream-pipeline.js';

const shared = (workerData as { threadData?: { budget: Int32Array; crashAfter: number; path: string } } | null)?.threadData;
let handled = 0;

export const seq = sequencePipeline(() => {
  if (shared === undefined || ++handled < shared.crashAfter) return;
  if (Atomics.sub(shared.budget, 0, 1) > 0) process.exit(3);
  handled = Number.NEGATIVE_INFINITY; // budget spent: this thread runs to the end
});
