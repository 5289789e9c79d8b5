/**
 * @module streams
 * Streams: the pure core (windows over slices and ranges, aggregates,
 * sliding evaluation, watermarks and lateness; no I/O, no clock) and the
 * runtime on top of it (pipelines over a durable Log, checkpoints,
 * exactly-once output, replay, micro-batches, map-side combine, joins and
 * tables). See docs/streams.md.
 *
 * @example
 * ```ts
 * import { count, createStreamStore, sliding, startPipeline, stream, topicSink } from 'millrace'
 *
 * const perPage = stream<Click>('per-page', { topic: 'clicks' })
 *   .keyBy((click) => click.page, { time: eventTime<Click>('at') })
 *   .window(sliding({ range: 60_000, slide: 1_000 }))
 *   .aggregate(count)
 *   .to(topicSink('clicks-per-page'))
 * const running = await startPipeline(perPage, { store: createStreamStore(log, checkpoints) })
 * ```
 */
export { validateAggregate, type Aggregate } from './aggregates/aggregate.js';
export { count, sum, mean, min, max, type MeanAccumulator } from './aggregates/numeric-aggregates.js';
export { topK, type TopKEntry, type TopKOptions } from './aggregates/top-k.js';
export { distinctCount, type DistinctCountOptions, type HyperLogLogAccumulator } from './aggregates/distinct-count.js';
export { compareKeys, isStreamKey, type StreamKey } from './stream-key.js';
export { eventTime, processingTime, type TimeAssigner } from './time/time-assigner.js';
export { WatermarkTracker, type PartitionId } from './time/watermark-tracker.js';
export { createWindowOperator, type CreateWindowOperatorOptions } from './windows/create-window-operator.js';
export type { EmitStrategy, WindowOperator, WindowOperatorOptions } from './windows/window-operator.js';
export type {
  AddOutcome, LateEvent, RejectedEvent, RejectReason, ResultKind, WindowBounds, WindowOperatorMetrics, WindowOutput, WindowPane, WindowResult,
} from './windows/window-output.js';
export { resultsOf } from './windows/window-output.js';
export {
  landmark, session, sliding, tumbling, type LandmarkWindow, type SessionWindow, type SlidingWindow, type TumblingWindow, type WindowSpec,
} from './windows/window-spec.js';
export { stream, type AggregatedBuilder, type KeyedBuilder, type KeyOptions, type PipelineDefinition, type SourceOptions, type Step, type StreamBuilder, type WindowedBuilder, type WindowStageOptions } from './runtime/pipeline.js';
export { blobSink, callbackSink, tableSink, topicSink, type BlobSink, type CallbackSink, type Sink, type TopicSink } from './runtime/sinks.js';
export { startPipeline, type PipelineMetrics, type RunningPipeline, type StartPipelineOptions } from './runtime/run-pipeline.js';
export { startRunner, type RunnerMetrics, type RunningRunner, type StartRunnerOptions } from './runtime/stream-runner.js';
export type { RunnerGroup } from './runtime/runner-group.js';
export { startRunnerThreads, type RunnerThreadsOptions, type RunningRunnerThreads, type StreamStoreModule } from './runtime/runner-threads.js';
export { createStreamStore, type StreamStore, type TaskCommit, type TopicAppend } from './runtime/stream-store.js';
export type { StreamDeadLetter, StreamDeadLetterReason, KeyedRecord, LateRecord, ResultRecord } from './runtime/records.js';
export type { PartitionRange } from './runtime/mapper-task.js';
export { replayPipeline, parseReplayBound, type ReplayBound, type ReplayOptions, type RunningReplay } from './runtime/replay.js';
export { ingestFile, type IngestFileOptions, type IngestReport } from './runtime/file-source.js';
export { startMicroBatch, type Bucket, type MicroBatchOptions, type RunningMicroBatch } from './runtime/micro-batch.js';
export { checkDials, currentDials, dialChanges, dialsTopic, parseDialArguments, setDials, DEFAULT_DIALS, DIAL_NAMES, type MicroBatchDials, type StreamDialChange } from './runtime/dials.js';
export { StreamStatusReader, type MicroBatchStatus, type PartitionLag, type PipelineStatus } from './runtime/stream-status.js';
export { registerStreamRoutes, type StreamRoutesOptions } from './http/stream-routes.js';
export { materializeTable, lookup, type KeyedTable } from './runtime/keyed-table.js';
export { JoinBuffer, type JoinedSet, type JoinOutcome } from './runtime/join-buffer.js';
export { startJoin, type JoinOptions, type RunningJoin } from './runtime/join-task.js';
export { isPipelineDefinition } from './runtime/pipeline.js';
export type { CombineCounters } from './runtime/combiner.js';
export type { MapperCounters } from './runtime/mapper-task.js';
export type { WindowTaskCounters } from './runtime/window-state.js';
