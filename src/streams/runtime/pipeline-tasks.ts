/**
 * @module streams/runtime/pipeline-tasks
 * The partition tasks of one pipeline run, by id, and what they need
 * before any runs: the internal and sink topics. Shared by `startPipeline`
 * (every task in this process) and `startRunner` (the tasks a runner owns).
 *
 * ```
 *  task ids    map/0 … map/P−1       one per source partition   checkpoint <runId>/map/<p>
 *              window/0 … window/N−1 one per keyed partition    checkpoint <runId>/window/<i>
 * ```
 *
 * A task object is made fresh from its checkpoint (`create(id)`, then
 * `start()`), so whichever thread or process makes it continues exactly
 * where the last committed step of any earlier owner left off.
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { BlobStore } from '../../ports/blob-store.js';
import { MapperTask, type PartitionRange } from './mapper-task.js';
import type { PipelineDefinition } from './pipeline.js';
import { internalTopics } from './records.js';
import type { StreamStore } from './stream-store.js';
import { WindowTask } from './window-task.js';

export type PipelineTask = MapperTask | WindowTask;

export interface PipelineTaskOptions {
  store: StreamStore;
  clock: Clock;
  runId: string;
  sinkTopics: ReadonlyMap<string, string>;
  ranges: readonly PartitionRange[] | undefined;
  batchSize: number;
  /** Where blob sinks write; required when the definition has one. */
  blobs?: BlobStore;
}

export interface PipelineTasks {
  readonly runId: string;
  readonly sourcePartitions: number;
  /** `map/<p>` for every source partition, then `window/<i>` for every keyed partition. */
  readonly ids: readonly string[];
  /** A fresh task object for `id` (call its `start()` to load its checkpoint). */
  create(id: string): PipelineTask;
}

/** Creates the run's topics and returns its task factory. */
export async function preparePipelineTasks(definition: PipelineDefinition, options: PipelineTaskOptions): Promise<PipelineTasks> {
  const { store, clock, runId, sinkTopics, ranges, batchSize, blobs } = options;
  const source = await store.log.topicInfo(definition.source.topic);
  if (ranges !== undefined && ranges.length !== source.partitions) {
    throw new MillraceError('CONFIG_INVALID', `stream ${definition.name}: ${ranges.length} ranges given for ${source.partitions} source partitions`, { stream: definition.name });
  }
  if (blobs === undefined && definition.sinks.some((sink) => sink.kind === 'blob')) {
    throw new MillraceError('CONFIG_INVALID', `stream ${definition.name}: a blob sink needs a blob store (the \`blobs\` option)`, { stream: definition.name });
  }
  const topics = internalTopics(runId);
  await store.log.createTopic(topics.keyed, { partitions: definition.keyOptions.partitions });
  await store.log.createTopic(topics.deadLetters, { partitions: 1 });
  await store.log.createTopic(topics.late, { partitions: 1 });
  for (const sink of definition.sinks) {
    if (sink.kind === 'topic') await store.log.createTopic(sinkTopics.get(sink.topic) ?? sink.topic, { partitions: sink.partitions });
  }
  const ids = [
    ...Array.from({ length: source.partitions }, (_, p) => `map/${p}`),
    ...Array.from({ length: definition.keyOptions.partitions }, (_, i) => `window/${i}`),
  ];
  return {
    runId,
    sourcePartitions: source.partitions,
    ids,
    create: (id) => {
      const [kind, text] = id.split('/');
      const partition = Number(text);
      if (kind === 'map' && partition >= 0 && partition < source.partitions) {
        return new MapperTask({ definition, runId, partition, store, clock, batchSize, ...(ranges === undefined ? {} : { range: ranges[partition]! }) });
      }
      if (kind === 'window' && partition >= 0 && partition < definition.keyOptions.partitions) {
        return new WindowTask({ definition, runId, partition, sourcePartitions: source.partitions, store, batchSize, sinkTopics, ...(blobs === undefined ? {} : { blobs }) });
      }
      throw new MillraceError('CONFIG_INVALID', `stream ${definition.name}: no task ${JSON.stringify(id)}`, { stream: definition.name });
    },
  };
}
