/**
 * @module streams/runtime/window-task
 * The window stage: one task per partition of the keyed topic. Its input
 * is one sequential log partition — events and the source partitions'
 * watermark markers, in a fixed order — so what it computes depends only
 * on that partition's contents, not on timing: a re-run or a replay of
 * the same records gives the same results.
 *
 * ```
 *  <name>.keyed[i] ──read──▶ events between two markers: combined per key and slice ──▶ operator.add
 *                            marker { t:'w', p, w } ──▶ operator.advanceWatermark(p, w) ──▶ results
 *  commit: results (sink topics) + late events + dead letters + checkpoint { partials, watermarks, offset }
 * ```
 */
import type { BlobStore } from '../../ports/blob-store.js';
import type { LogRecord, NewRecord } from '../../ports/log.js';
import type { StreamKey } from '../stream-key.js';
import type { WindowOutput } from '../windows/window-output.js';
import type { LandmarkWindow, SessionWindow, SlidingWindow, TumblingWindow } from '../windows/window-spec.js';
import type { PipelineDefinition } from './pipeline.js';
import { writeBlobFiles } from './blob-files.js';
import { decodePartial } from './combiner.js';
import { internalTopics, keyText, resultId, type StreamDeadLetter, type KeyedRecord, type LateRecord, type ResultRecord } from './records.js';
import type { StreamStore, TopicAppend } from './stream-store.js';
import { SessionTaskState } from './session-task-state.js';
import { WindowState, type TaskWindowState } from './window-state.js';

export interface WindowTaskOptions {
  definition: PipelineDefinition;
  runId: string;
  partition: number;
  sourcePartitions: number;
  store: StreamStore;
  batchSize: number;
  /** Sink topics (and blob prefixes) as this run names them (a replay writes to its own). */
  sinkTopics: ReadonlyMap<string, string>;
  /** Where blob sinks write. */
  blobs?: BlobStore;
}

/** An event as a group remembers it; `combined` when only its id and time came (a map-side partial). */
interface GroupEvent {
  src: string;
  time: number;
  v: unknown;
  combined: boolean;
}

/** Events of one key and slice between two markers, combined. */
interface Group {
  key: StreamKey;
  slice: number;
  partial: unknown;
  events: GroupEvent[];
}

export class WindowTask {
  readonly checkpointId: string;
  private readonly state: TaskWindowState<unknown, unknown>;
  private readonly topics;
  private version = 0;
  private offset = 0;
  private groups = new Map<StreamKey, Map<number, Group>>();
  private results: ResultRecord[] = [];
  private late: NewRecord[] = [];
  private dead: NewRecord[] = [];

  constructor(private readonly options: WindowTaskOptions) {
    const { definition } = options;
    this.checkpointId = `${options.runId}/window/${options.partition}`;
    this.topics = internalTopics(options.runId);
    const { allowedLatenessMs, emit } = definition.windowOptions;
    this.state = definition.window.kind === 'session'
      ? new SessionTaskState(definition.window as SessionWindow, definition.aggregate, options.sourcePartitions, allowedLatenessMs, emit)
      : new WindowState(definition.window as TumblingWindow | SlidingWindow | LandmarkWindow, definition.aggregate, options.sourcePartitions, allowedLatenessMs, emit);
  }

  /** Every source partition has ended (bounded runs): all results are out. */
  get done(): boolean {
    return this.state.ended.size === this.options.sourcePartitions;
  }

  get counters(): TaskWindowState<unknown, unknown>['counters'] {
    return this.state.counters;
  }

  get watermark(): number {
    return this.state.operator.watermark;
  }

  get position(): number {
    return this.offset;
  }

  private get inputKey(): string {
    return `${this.topics.keyed}/${this.options.partition}`;
  }

  async start(): Promise<void> {
    const checkpoint = await this.options.store.checkpoints.load(this.checkpointId);
    if (checkpoint === undefined) return;
    this.version = checkpoint.version;
    this.offset = checkpoint.offsets[this.inputKey] ?? 0;
    this.state.restore(checkpoint.state);
  }

  /** One read-process-commit cycle; returns the records read. */
  async step(): Promise<number> {
    if (this.done) return 0;
    const { store, partition, batchSize, definition } = this.options;
    const records = await store.log.read(this.topics.keyed, partition, this.offset, { limit: batchSize });
    if (records.length === 0) return 0;
    for (const record of records) this.apply(record);
    this.flushGroups();
    this.collect(this.state.operator.drain(), `${this.inputKey}/${this.offset + records.length - 1}`);
    const results = this.results;
    const appends: TopicAppend[] = [];
    for (const sink of definition.sinks) {
      if (sink.kind === 'callback') {
        if (results.length > 0) await sink.deliver(results);
        continue;
      }
      if (sink.kind === 'blob') {
        if (results.length > 0) await writeBlobFiles(this.options.blobs!, this.options.sinkTopics.get(sink.prefix) ?? sink.prefix, partition, results);
        continue;
      }
      const topic = this.options.sinkTopics.get(sink.topic) ?? sink.topic;
      appends.push({ topic, records: results.map((result) => ({ key: keyText(result.key), value: result, timestamp: result.end })) });
    }
    appends.push({ topic: this.topics.late, records: this.late }, { topic: this.topics.deadLetters, records: this.dead });
    this.version = await store.commit({
      checkpointId: this.checkpointId, appends, state: this.state.snapshot(), offsets: { [this.inputKey]: this.offset + records.length }, expectedVersion: this.version,
    });
    this.offset += records.length;
    this.results = [];
    this.late = [];
    this.dead = [];
    return records.length;
  }

  private apply(record: LogRecord): void {
    const value = record.value as KeyedRecord;
    if (value.t === 'e' || value.t === 'p') {
      this.group(value);
      return;
    }
    this.flushGroups();
    const state = this.state;
    const at = `${this.inputKey}/${record.offset}`;
    if (value.t === 'w') {
      state.marks.set(value.p, Math.max(value.w, state.marks.get(value.p) ?? value.w));
      state.idle.delete(value.p);
      this.collect(state.operator.advanceWatermark(value.p, value.w), at);
    } else if (value.t === 'i') {
      state.idle.add(value.p);
      this.collect(state.operator.markIdle(value.p), at);
    } else {
      state.ended.add(value.p);
      this.collect(state.operator.advanceWatermark(value.p, Number.POSITIVE_INFINITY), at);
    }
    state.evict(state.operator.watermark);
  }

  private group(event: Extract<KeyedRecord, { t: 'e' | 'p' }>): void {
    const aggregate = this.options.definition.aggregate;
    const slice = this.state.sliceOf(event.time);
    let slices = this.groups.get(event.k);
    if (slices === undefined) this.groups.set(event.k, (slices = new Map()));
    let group = slices.get(slice);
    if (group === undefined) slices.set(slice, (group = { key: event.k, slice, partial: aggregate.init(), events: [] }));
    if (event.t === 'p') {
      group.partial = aggregate.merge(group.partial, decodePartial(event.acc));
      event.srcs.forEach((src, i) => group.events.push({ src, time: event.times[i]!, v: null, combined: true }));
      return;
    }
    const value = this.options.definition.value;
    group.partial = aggregate.add(group.partial, value === undefined ? event.v : value(event.v));
    group.events.push({ src: event.src, time: event.time, v: event.v, combined: false });
  }

  /** Hands the combined groups to the operator; each group's outcome is each of its events'. */
  private flushGroups(): void {
    if (this.groups.size === 0) return;
    const state = this.state;
    const counters = state.counters;
    for (const slices of this.groups.values()) {
      for (const group of slices.values()) {
        const outcome = state.operator.add(group.key, group.events[0]!.time, group.partial);
        const n = group.events.length;
        if (outcome === 'accepted' || outcome === 'updated') {
          state.keep(group.key, group.slice, group.partial);
          if (outcome === 'accepted') counters.accepted += n;
          else counters.updated += n;
        } else if (outcome === 'late') {
          counters.late += n;
          const watermark = state.operator.watermark;
          for (const event of group.events) {
            const late: LateRecord = { id: event.src, key: group.key, time: event.time, value: event.v, watermark, ...(event.combined ? { combined: true as const } : {}) };
            this.late.push({ key: event.src, value: late, timestamp: event.time });
          }
        } else {
          counters.deadLetters += n;
          for (const event of group.events) {
            const letter: StreamDeadLetter = {
              id: `${event.src}@window`, stream: this.options.definition.name, reason: 'before-landmark',
              message: `time ${event.time} is before the landmark's start`, input: event.src, value: event.v,
            };
            this.dead.push({ key: letter.id, value: letter });
          }
        }
      }
    }
    this.groups = new Map();
  }

  /** Results of a hand-back as records; late and rejected partials are ignored here (handled per event in `flushGroups`). */
  private collect(output: WindowOutput<unknown, unknown>, at: string): void {
    const counters = this.state.counters;
    const name = this.options.definition.name;
    for (const { window, kind, keys, values } of output.panes) {
      if (kind === 'final') counters.finalResults += keys.length;
      else if (kind === 'update') counters.updateResults += keys.length;
      else counters.earlyResults += keys.length;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        this.results.push({ id: resultId(name, window.start, window.end, key, kind, at), key, start: window.start, end: window.end, kind, value: values[i] });
      }
    }
  }
}
