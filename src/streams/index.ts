/**
 * @module streams
 * The pure core of Streams: windows over slices and ranges, aggregates,
 * sliding evaluation, watermarks and lateness. No I/O and no clock: plain
 * data in, plain data out, time only through arguments. The stream runtime
 * (operators over a durable Log, checkpoints, micro-batches) calls this.
 * See docs/streams.md.
 *
 * @example
 * ```ts
 * import { createWindowOperator, resultsOf, sliding, count } from './streams/index.js' // not yet a public entry point
 *
 * const perPage = createWindowOperator({ window: sliding({ range: 60_000, slide: 1_000 }), aggregate: count })
 * perPage.add('/home', 1_250, click)
 * resultsOf(perPage.advanceWatermark(0, 2_000)) // [{ key: '/home', start: -58_000, end: 2_000, value: 1, kind: 'final' }]
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
export { callbackSink, tableSink, topicSink, type CallbackSink, type Sink, type TopicSink } from './runtime/sinks.js';
export { startPipeline, type PipelineMetrics, type RunningPipeline, type StartPipelineOptions } from './runtime/run-pipeline.js';
export { createStreamStore, type StreamStore, type TaskCommit, type TopicAppend } from './runtime/stream-store.js';
export type { StreamDeadLetter, StreamDeadLetterReason, KeyedRecord, LateRecord, ResultRecord } from './runtime/records.js';
export type { PartitionRange } from './runtime/mapper-task.js';
export { replayPipeline, parseReplayBound, type ReplayBound, type ReplayOptions, type RunningReplay } from './runtime/replay.js';
export { ingestFile, type IngestFileOptions, type IngestReport } from './runtime/file-source.js';
export { startMicroBatch, type Bucket, type MicroBatchOptions, type RunningMicroBatch } from './runtime/micro-batch.js';
export { checkDials, dialsTopic, parseDialArguments, setDials, DIAL_NAMES, type MicroBatchDials } from './runtime/dials.js';
export { materializeTable, lookup, type KeyedTable } from './runtime/keyed-table.js';
export { JoinBuffer, type JoinedSet, type JoinOutcome } from './runtime/join-buffer.js';
export { startJoin, type JoinOptions, type RunningJoin } from './runtime/join-task.js';
export { isPipelineDefinition } from './runtime/pipeline.js';
export type { CombineCounters } from './runtime/combiner.js';
export type { MapperCounters } from './runtime/mapper-task.js';
export type { WindowTaskCounters } from './runtime/window-state.js';
