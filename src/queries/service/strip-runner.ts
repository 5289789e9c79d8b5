/**
 * @module queries/service/strip-runner
 * How a query's strips get computed: the seam between the gatherer and
 * the workers. The queue runner (`scatter/queue-strip-runner.ts`) sends
 * them as request/reply messages to whichever workers consume the query
 * queue; the local runner computes them in this thread, for tools and
 * tests that have no workers.
 */
import type { BlobStore } from '../../ports/blob-store.js';
import { computeStrip } from '../compute/compute-strip.js';
import type { StripTask } from '../plan/strip-task.js';
import type { RenderTask } from '../render/render-task.js';

export interface StripRunOptions {
  /** Aborts outstanding strips (the caller went away). */
  signal?: AbortSignal;
  /** Epoch ms by which every strip must be in. */
  deadlineAt: number;
  /** Called with each strip's answer as it arrives (unchecked: the gatherer checks it). */
  onResult: (task: StripTask, result: unknown) => void;
}

export interface StripRunReport {
  /** Attempts beyond the first. */
  retries: number;
}

/**
 * Computes strips. Resolves once every strip has answered; rejects with
 * the first error that cannot be retried, or when the deadline passes —
 * never with some strips missing.
 */
export interface StripRunner {
  run(tasks: readonly StripTask[], options: StripRunOptions): Promise<StripRunReport>;
  /** Encodes a PNG where the strips are computed (off the gatherer's thread). @defaultValue none: the gatherer encodes it */
  renderPng?(task: RenderTask, options: { signal?: AbortSignal; deadlineAt: number }): Promise<Buffer>;
}

/** Computes strips one after another in this thread. */
export function createLocalStripRunner(blobs: BlobStore): StripRunner {
  return {
    async run(tasks, options) {
      for (const task of tasks) {
        options.signal?.throwIfAborted();
        options.onResult(task, await computeStrip(task, blobs));
      }
      return { retries: 0 };
    },
  };
}
