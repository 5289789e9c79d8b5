/**
 * @module streams/runtime/stream-status
 * What a stream is doing, read from the stores alone — the Log's end
 * offsets against the offsets in the tasks' checkpoints — so it answers
 * for runs in any process (one `startPipeline`, several runners, another
 * machine) without asking them.
 *
 * ```
 *  lag per source partition  = source end offset − map/<p> checkpoint offset
 *  lag per keyed partition   = <name>.keyed end offset − window/<i> checkpoint offset
 *  watermarks                = per source partition from map/<p>; per window task the minimum it has seen
 *  late, dead letters        = the tasks' counters (checkpointed with their state) and the topics' sizes
 * ```
 *
 * Throughput needs two looks: a reader keeps the records processed at
 * each look (for a minute) and reports the rate between the oldest and
 * the newest — `null` until two looks are a second apart.
 */
import { deserialize } from 'node:v8';
import type { Clock } from '../../core/clock.js';
import { hasCode } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import type { CheckpointStore } from '../../ports/checkpoint-store.js';
import type { Log } from '../../ports/log.js';
import { currentDials, type MicroBatchDials } from './dials.js';
import type { MapperCounters } from './mapper-task.js';
import type { PipelineDefinition } from './pipeline.js';
import { internalTopics } from './records.js';
import type { RunnerGroup } from './runner-group.js';
import type { WindowTaskCounters } from './window-state.js';

export interface PartitionLag {
  partition: number;
  /** The offset the next record appended will get. */
  end: number;
  /** The next offset the task will read (its checkpoint). */
  position: number;
  lag: number;
}

export interface PipelineStatus {
  name: string;
  kind: 'pipeline';
  source: { topic: string; partitions: PartitionLag[] };
  keyed: { topic: string; partitions: PartitionLag[] };
  /** Source records plus keyed records not yet processed. */
  lag: number;
  /** Per source partition: its watermark (highest event time − maxOutOfOrderMs), null before its first event. */
  watermarks: Array<{ partition: number; watermark: number | null; idle: boolean; ended: boolean }>;
  /** Per window task: its watermark (the minimum over source partitions), null until every partition has reported; `ended` once every source partition has ended (a bounded run). */
  windows: Array<WindowTaskCounters & { partition: number; watermark: number | null; ended: boolean }>;
  records: number;
  events: number;
  late: number;
  deadLetters: number;
  /** Records in `<name>.late` and `<name>.dead-letters`. */
  topics: { late: number; deadLetters: number };
  /** Source records mapped per second, between the reader's looks. */
  recordsPerSecond: number | null;
  /** The runner group, if runners run it. */
  runners: { members: string[]; owners: Record<string, string>; generation: number } | null;
}

export interface MicroBatchStatus {
  name: string;
  kind: 'micro-batch';
  /** Per partition, `position` is the next offset not yet in a bucket. */
  source: { topic: string; partitions: PartitionLag[] };
  /** Messages not yet in a bucket plus those in buckets planned and not finished. */
  lag: number;
  /** Buckets planned and not finished, and their messages. */
  pending: { buckets: number; messages: number };
  buckets: number;
  messages: number;
  failed: number;
  /** Records in `<name>.dead-letters`. */
  deadLetters: number;
  dials: MicroBatchDials;
  messagesPerSecond: number | null;
}

interface MicroBatchCheckpointState {
  planned: number[];
  pending: Array<{ from: number; to: number }>;
  buckets: number;
  messages: number;
  failed: number;
}

interface MapperCheckpointState {
  maxTime: number | null;
  idle: boolean;
  ended: boolean;
  counters: MapperCounters;
}

interface WindowSnapshot {
  marks: Array<[number, number]>;
  idle: number[];
  ended: number[];
  counters: WindowTaskCounters;
}

const SAMPLE_SPAN_MS = 60_000;

/** Reads stream status; keeps samples for throughput between calls. */
export class StreamStatusReader {
  private readonly samples = new Map<string, Array<{ at: number; count: number }>>();

  constructor(private readonly stores: { log: Log; checkpoints: CheckpointStore; clock: Clock }) {}

  /** The status of pipeline `definition`'s run `runId` (default: its name). */
  async pipeline(definition: PipelineDefinition, runId = definition.name): Promise<PipelineStatus> {
    const { log, checkpoints } = this.stores;
    const topics = internalTopics(runId);
    const sourceEnds = (await log.topicInfo(definition.source.topic)).endOffsets;
    const keyedEnds = await endOffsets(log, topics.keyed, definition.keyOptions.partitions);
    const source: PartitionLag[] = [];
    const watermarks: PipelineStatus['watermarks'] = [];
    let records = 0;
    let events = 0;
    let deadLetters = 0;
    for (let p = 0; p < sourceEnds.length; p++) {
      const checkpoint = await checkpoints.load(`${runId}/map/${p}`);
      const position = checkpoint?.offsets[`${definition.source.topic}/${p}`] ?? 0;
      source.push(lagOf(p, sourceEnds[p]!, position));
      const state = checkpoint === undefined ? undefined : (decodeJson(checkpoint.state) as MapperCheckpointState);
      const maxTime = state?.maxTime ?? null;
      watermarks.push({ partition: p, watermark: maxTime === null ? null : maxTime - definition.keyOptions.maxOutOfOrderMs, idle: state?.idle ?? false, ended: state?.ended ?? false });
      records += state?.counters.records ?? 0;
      events += state?.counters.elements ?? 0;
      deadLetters += state?.counters.deadLetters ?? 0;
    }
    const keyed: PartitionLag[] = [];
    const windows: PipelineStatus['windows'] = [];
    let late = 0;
    for (let i = 0; i < definition.keyOptions.partitions; i++) {
      const checkpoint = await checkpoints.load(`${runId}/window/${i}`);
      keyed.push(lagOf(i, keyedEnds[i] ?? 0, checkpoint?.offsets[`${topics.keyed}/${i}`] ?? 0));
      const snapshot = checkpoint === undefined ? undefined : (deserialize(checkpoint.state) as WindowSnapshot);
      const counters = snapshot?.counters ?? { accepted: 0, updated: 0, late: 0, deadLetters: 0, finalResults: 0, updateResults: 0, earlyResults: 0 };
      windows.push({
        partition: i, ...counters, watermark: snapshot === undefined ? null : windowWatermark(snapshot, sourceEnds.length),
        ended: snapshot !== undefined && snapshot.ended.length === sourceEnds.length,
      });
      late += counters.late;
      deadLetters += counters.deadLetters;
    }
    const group = await checkpoints.load(`${runId}/group`);
    const runners = group === undefined ? null : (({ members, owners, generation }: RunnerGroup) => ({ members: Object.keys(members).sort(), owners, generation }))(decodeJson(group.state) as RunnerGroup);
    const lag = [...source, ...keyed].reduce((sum, partition) => sum + partition.lag, 0);
    return {
      name: definition.name, kind: 'pipeline',
      source: { topic: definition.source.topic, partitions: source },
      keyed: { topic: topics.keyed, partitions: keyed },
      lag, watermarks, windows, records, events, late, deadLetters,
      topics: { late: sum(await endOffsets(log, topics.late, 1)), deadLetters: sum(await endOffsets(log, topics.deadLetters, 1)) },
      recordsPerSecond: this.rate(`pipeline:${runId}`, records),
      runners,
    };
  }

  /** The status of micro-batch stream `name` over `source`, started with the dials `initial`. */
  async microBatch(name: string, source: string, initial: Partial<MicroBatchDials> = {}): Promise<MicroBatchStatus> {
    const { log, checkpoints } = this.stores;
    const ends = (await log.topicInfo(source)).endOffsets;
    const checkpoint = await checkpoints.load(`${name}/micro-batch`);
    const state = checkpoint === undefined ? undefined : (decodeJson(checkpoint.state) as MicroBatchCheckpointState);
    const partitions = ends.map((end, p) => lagOf(p, end, state?.planned[p] ?? 0));
    const pendingMessages = (state?.pending ?? []).reduce((n, bucket) => n + bucket.to - bucket.from, 0);
    const messages = state?.messages ?? 0;
    return {
      name, kind: 'micro-batch', source: { topic: source, partitions },
      lag: partitions.reduce((n, partition) => n + partition.lag, 0) + pendingMessages,
      pending: { buckets: state?.pending.length ?? 0, messages: pendingMessages },
      buckets: state?.buckets ?? 0, messages, failed: state?.failed ?? 0,
      deadLetters: sum(await endOffsets(log, `${name}.dead-letters`, 1)),
      dials: await currentDials(log, name, initial),
      messagesPerSecond: this.rate(`micro-batch:${name}`, messages),
    };
  }

  /** Records processed per second between the looks of the last minute; null until two are a second apart. */
  rate(key: string, count: number): number | null {
    const now = this.stores.clock.now();
    const samples = (this.samples.get(key) ?? []).filter((sample) => now - sample.at <= SAMPLE_SPAN_MS);
    samples.push({ at: now, count });
    this.samples.set(key, samples);
    const first = samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds < 1 ? null : Math.max(0, (count - first.count) / seconds);
  }
}

/** The operator's watermark as the core's tracker computes it: the minimum over active partitions. */
function windowWatermark(snapshot: WindowSnapshot, partitions: number): number | null {
  const marks = new Map(snapshot.marks);
  const ended = new Set(snapshot.ended);
  const idle = new Set(snapshot.idle);
  if (ended.size === partitions) return null;
  let min = Number.POSITIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  for (let p = 0; p < partitions; p++) {
    if (ended.has(p)) continue;
    const mark = marks.get(p);
    if (mark !== undefined) highest = Math.max(highest, mark);
    if (idle.has(p)) continue;
    if (mark === undefined) return null;
    min = Math.min(min, mark);
  }
  if (Number.isFinite(min)) return min;
  return Number.isFinite(highest) ? highest : null;
}

function lagOf(partition: number, end: number, position: number): PartitionLag {
  return { partition, end, position, lag: Math.max(0, end - position) };
}

async function endOffsets(log: Log, topic: string, partitions: number): Promise<number[]> {
  try {
    return (await log.topicInfo(topic)).endOffsets;
  } catch (error) {
    // Not created yet: the run has not started.
    if (hasCode(error, 'LOG_TOPIC_NOT_FOUND')) return new Array<number>(partitions).fill(0);
    throw error;
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
