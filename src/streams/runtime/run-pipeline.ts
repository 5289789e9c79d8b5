/**
 * @module streams/runtime/run-pipeline
 * Runs a pipeline: one mapper task per source partition and one window
 * task per keyed partition, each a loop of read → process → commit.
 *
 * ```
 *              source topic (P partitions)
 *     ┌──────────────┼──────────────┐
 *  mapper 0  …  mapper P−1                  parse, steps, key, time; watermarks
 *     └──── <name>.keyed (N partitions) ────┘   hash(key) mod N; markers to all N
 *     ┌──────────────┼──────────────┐
 *  window 0  …  window N−1                  window + aggregate; results, late events
 *     └──── sinks, <name>.late, <name>.dead-letters
 * ```
 *
 * Where things run: embedded, every task is an async loop in this process
 * (SQLite calls are synchronous, so they take turns on the main thread).
 * The tasks share nothing but the Log and the checkpoint store: each
 * loads its own checkpoint, reads its own partition and commits its own
 * output, so any subset could run in another thread or process against
 * the same stores (the checkpoint's version fences a second copy of a
 * task: it fails with `CHECKPOINT_CONFLICT` instead of writing twice).
 */
import { SystemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { BlobStore } from '../../ports/blob-store.js';
import { MapperTask, type MapperCounters, type PartitionRange } from './mapper-task.js';
import type { PipelineDefinition } from './pipeline.js';
import { preparePipelineTasks } from './pipeline-tasks.js';
import { internalTopics } from './records.js';
import type { StreamStore } from './stream-store.js';
import { WindowTask } from './window-task.js';
import type { WindowTaskCounters } from './window-state.js';

export interface StartPipelineOptions {
  store: StreamStore;
  /** @defaultValue a `SystemClock` */
  clock?: Clock;
  logger?: Logger;
  /**
   * Names this run's checkpoints and internal topics; a replay uses its own.
   * @defaultValue the definition's name
   */
  runId?: string;
  /** Sink topic renames for this run (a replay writes to `<topic>.<runId>`). @defaultValue none */
  sinkTopics?: ReadonlyMap<string, string>;
  /**
   * A bounded run: per source partition, the records to read. When every
   * partition is read, the watermark goes to the end, every window is
   * emitted and `done` resolves.
   * @defaultValue unbounded: tails the source until `stop`
   */
  ranges?: readonly PartitionRange[];
  /** Records read per step. @defaultValue 1000 */
  batchSize?: number;
  /** Where blob sinks write. @defaultValue none (a pipeline with a blob sink needs it) */
  blobs?: BlobStore;
  /** How long an idle task waits before reading again. @defaultValue 20 */
  pollIntervalMs?: number;
}

export interface PipelineMetrics {
  mappers: MapperCounters[];
  windows: Array<WindowTaskCounters & { watermark: number }>;
  /** Source records not yet read plus keyed records not yet windowed. */
  lag: number;
}

export interface RunningPipeline {
  readonly runId: string;
  /** Resolves when a bounded run has emitted everything, or after `stop`; rejects if a task fails. */
  readonly done: Promise<void>;
  /** Stops every task after its current step (committed work stays committed). */
  stop(): Promise<void>;
  metrics(): Promise<PipelineMetrics>;
}

/**
 * Starts `definition` on `store`: creates its topics, loads each task's
 * checkpoint, and runs the tasks until `stop` (or the end of a bounded run).
 *
 * @example
 * ```ts
 * const store = createStreamStore(log, checkpoints)
 * const running = await startPipeline(perPage, { store })
 * // …
 * await running.stop()
 * ```
 */
export async function startPipeline(definition: PipelineDefinition, options: StartPipelineOptions): Promise<RunningPipeline> {
  const { store } = options;
  const clock = options.clock ?? new SystemClock();
  const runId = options.runId ?? definition.name;
  const batchSize = options.batchSize ?? 1000;
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  const sinkTopics = options.sinkTopics ?? new Map<string, string>();
  const plan = await preparePipelineTasks(definition, {
    store, clock, runId, sinkTopics, ranges: options.ranges, batchSize, ...(options.blobs === undefined ? {} : { blobs: options.blobs }),
  });
  const topics = internalTopics(runId);
  const tasks = plan.ids.map((id) => plan.create(id));
  const mappers = tasks.filter((task): task is MapperTask => task instanceof MapperTask);
  const windows = tasks.filter((task): task is WindowTask => task instanceof WindowTask);
  for (const task of [...mappers, ...windows]) await task.start();

  const stopping = new AbortController();
  const loop = async (task: MapperTask | WindowTask): Promise<void> => {
    while (!stopping.signal.aborted && !task.done) {
      const read = await task.step();
      if (read === 0 && !task.done) await clock.sleep(pollIntervalMs, stopping.signal).catch(() => undefined);
    }
  };
  // The clock's timers do not hold the process open; a running pipeline should, until it ends or is stopped.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const loops = [...mappers, ...windows].map((task) => loop(task));
  void Promise.allSettled(loops).then(() => clearInterval(keepAlive));
  // The first failure stops the other tasks; `done` rejects with it.
  const done = Promise.all(loops.map((running) => running.catch((error: unknown) => {
    stopping.abort();
    throw error;
  }))).then(() => undefined);
  done.catch(() => undefined);

  return {
    runId,
    done,
    stop: async () => {
      stopping.abort();
      await Promise.allSettled(loops);
    },
    metrics: async () => {
      const sourceEnds = (await store.log.topicInfo(definition.source.topic)).endOffsets;
      const keyedEnds = (await store.log.topicInfo(topics.keyed)).endOffsets;
      let lag = 0;
      mappers.forEach((task, p) => (lag += task.done ? 0 : Math.max(0, (options.ranges?.[p]?.to ?? sourceEnds[p] ?? 0) - task.position)));
      windows.forEach((task, i) => (lag += Math.max(0, (keyedEnds[i] ?? 0) - task.position)));
      return {
        mappers: mappers.map((task) => ({ ...task.counters })),
        windows: windows.map((task) => ({ ...task.counters, watermark: task.watermark })),
        lag,
      };
    },
  };
}
