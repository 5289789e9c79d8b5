/**
 * @module streams/runtime/mapper-task
 * The mapper stage: one task per source partition. It reads its partition,
 * runs the per-record steps, keys and times each element, and appends it
 * to the keyed topic's partition `hash(key) mod N` — with its own
 * watermark marker to every partition after each batch:
 *
 * ```
 *  source p ──read──▶ steps ──▶ key, time ──▶ <name>.keyed[hash(key) % N]   + { t:'w', p, w } to all N
 *                        └── throws / no key / no time ──▶ <name>.dead-letters (with the reason)
 *  commit: keyed records + dead letters + checkpoint { offset, max time }   (one transaction)
 * ```
 *
 * A task depends only on the Log and its checkpoint, so it can run in any
 * thread or process. With an atomic store each source record's elements
 * reach the keyed topic exactly once.
 */
import type { Clock } from '../../core/clock.js';
import { hashKey } from '../../core/ids.js';
import { decodeJson, encodeJsonBytes } from '../../core/json-codec.js';
import type { LogRecord, NewRecord } from '../../ports/log.js';
import { isStreamKey } from '../stream-key.js';
import { combineOverCredits, creditsOf, emptyCombineCounters, type CombineCounters } from './combiner.js';
import type { PipelineDefinition } from './pipeline.js';
import { inputPosition, internalTopics, keyText, type StreamDeadLetter, type KeyedRecord } from './records.js';
import type { StreamStore } from './stream-store.js';

/** A bounded run's limits for one source partition: offsets `[from, to)`, and event times `[fromTime, toTime)`. */
export interface PartitionRange {
  from: number;
  to: number;
  fromTime?: number;
  toTime?: number;
}

export interface MapperCounters {
  records: number;
  elements: number;
  deadLetters: number;
  /** Elements outside a replay's time range, skipped. */
  outOfRange: number;
  /** How often each flow-control mode ran (with `combine` set). */
  combine: CombineCounters;
}

interface MapperState {
  maxTime: number | null;
  idle: boolean;
  ended: boolean;
  counters: MapperCounters;
}

export interface MapperTaskOptions {
  definition: PipelineDefinition;
  runId: string;
  partition: number;
  store: StreamStore;
  clock: Clock;
  batchSize: number;
  range?: PartitionRange;
}

export class MapperTask {
  readonly checkpointId: string;
  private readonly topics;
  private version = 0;
  private offset = 0;
  private state: MapperState = { maxTime: null, idle: false, ended: false, counters: { records: 0, elements: 0, deadLetters: 0, outOfRange: 0, combine: emptyCombineCounters() } };
  private lastRecordAt = 0;

  constructor(private readonly options: MapperTaskOptions) {
    this.checkpointId = `${options.runId}/map/${options.partition}`;
    this.topics = internalTopics(options.runId);
  }

  get done(): boolean {
    return this.state.ended;
  }

  get counters(): MapperCounters {
    return this.state.counters;
  }

  get position(): number {
    return this.offset;
  }

  private get inputKey(): string {
    return `${this.options.definition.source.topic}/${this.options.partition}`;
  }

  async start(): Promise<void> {
    const checkpoint = await this.options.store.checkpoints.load(this.checkpointId);
    this.lastRecordAt = this.options.clock.now();
    if (checkpoint === undefined) {
      this.offset = this.options.range?.from ?? 0;
      return;
    }
    this.version = checkpoint.version;
    this.offset = checkpoint.offsets[this.inputKey] ?? 0;
    this.state = decodeJson(checkpoint.state) as MapperState;
    this.state.counters.combine ??= emptyCombineCounters();
  }

  /** One read-process-commit cycle; returns the records read. */
  async step(): Promise<number> {
    if (this.state.ended) return 0;
    const { definition, partition, store, batchSize, range } = this.options;
    const limit = range === undefined ? batchSize : Math.min(batchSize, range.to - this.offset);
    const records = limit > 0 ? await store.log.read(definition.source.topic, partition, this.offset, { limit }) : [];
    let keyed: NewRecord[] = [];
    const dead: NewRecord[] = [];
    const before = this.state.maxTime;
    for (const record of records) this.map(record, keyed, dead);
    const combine = definition.keyOptions.combine;
    if (combine !== undefined && keyed.length > 0) {
      const credits = await creditsOf(store, this.options.runId, definition.keyOptions.partitions, combine.maxBacklog);
      keyed = combineOverCredits(definition, keyed, credits, this.state.counters.combine);
    }
    const markers: KeyedRecord[] = [];
    const now = this.options.clock.now();
    if (records.length > 0) {
      this.lastRecordAt = now;
      if (this.state.maxTime !== null && (this.state.maxTime !== before || this.state.idle)) {
        markers.push({ t: 'w', p: partition, w: this.state.maxTime - definition.keyOptions.maxOutOfOrderMs });
      }
      this.state.idle = false;
    } else if (definition.keyOptions.idleAfterMs !== undefined && !this.state.idle && now - this.lastRecordAt >= definition.keyOptions.idleAfterMs) {
      markers.push({ t: 'i', p: partition });
      this.state.idle = true;
    }
    const next = this.offset + records.length;
    if (range !== undefined && next >= range.to) {
      markers.push({ t: 'end', p: partition });
      this.state.ended = true;
    }
    for (const marker of markers) {
      for (let target = 0; target < definition.keyOptions.partitions; target++) keyed.push({ partition: target, value: marker });
    }
    if (records.length === 0 && markers.length === 0) return 0;
    this.version = await store.commit({
      checkpointId: this.checkpointId,
      appends: [{ topic: this.topics.keyed, records: keyed }, { topic: this.topics.deadLetters, records: dead }],
      state: encodeJsonBytes(this.state),
      offsets: { [this.inputKey]: next },
      expectedVersion: this.version,
    });
    this.offset = next;
    return records.length;
  }

  private map(record: LogRecord, keyed: NewRecord[], dead: NewRecord[]): void {
    const { definition } = this.options;
    const counters = this.state.counters;
    counters.records++;
    let elements: unknown[] = [record.value];
    for (const step of definition.steps) {
      const next: unknown[] = [];
      for (let i = 0; i < elements.length; i++) {
        const element = elements[i];
        try {
          if (step.kind === 'map') next.push(step.fn(element));
          else if (step.kind === 'filter') {
            if (step.fn(element)) next.push(element);
          } else for (const out of step.fn(element)) next.push(out);
        } catch (error) {
          this.deadLetter(dead, record, i, element, 'step-failed', errorMessage(error), step.name);
        }
      }
      elements = next;
    }
    const time = definition.keyOptions.time;
    const now = this.options.clock.now();
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i];
      let key: unknown;
      try {
        key = definition.key(element);
      } catch (error) {
        this.deadLetter(dead, record, i, element, 'invalid-key', `keyBy threw: ${errorMessage(error)}`);
        continue;
      }
      if (!isStreamKey(key)) {
        this.deadLetter(dead, record, i, element, 'invalid-key', `key must be a string or a finite number, got ${describe(key)}`);
        continue;
      }
      let at: number;
      try {
        at = time === undefined || time === 'record' ? record.timestamp : time.timeOf(element, now);
      } catch (error) {
        this.deadLetter(dead, record, i, element, 'invalid-time', `time threw: ${errorMessage(error)}`);
        continue;
      }
      if (typeof at !== 'number' || !Number.isFinite(at)) {
        const field = time !== undefined && time !== 'record' ? time.field : undefined;
        const got = field === undefined ? describe(at) : `${describe(fieldOf(element, field))} in field "${field}"`;
        this.deadLetter(dead, record, i, element, 'invalid-time', `time must be a finite number of milliseconds, got ${got}`);
        continue;
      }
      const range = this.options.range;
      if (range !== undefined && ((range.fromTime !== undefined && at < range.fromTime) || (range.toTime !== undefined && at >= range.toTime))) {
        counters.outOfRange++;
        continue;
      }
      counters.elements++;
      if (this.state.maxTime === null || at > this.state.maxTime) this.state.maxTime = at;
      const src = inputPosition(record.topic, record.partition, record.offset, i);
      const value: KeyedRecord = { t: 'e', k: key, time: at, v: element, src };
      keyed.push({ key: keyText(key), partition: hashKey(keyText(key)) % definition.keyOptions.partitions, value, timestamp: at });
    }
  }

  private deadLetter(dead: NewRecord[], record: LogRecord, element: number, value: unknown, reason: StreamDeadLetter['reason'], message: string, step?: string): void {
    this.state.counters.deadLetters++;
    const input = inputPosition(record.topic, record.partition, record.offset, element);
    const id = step === undefined ? input : `${input}@${step}`;
    const letter: StreamDeadLetter = { id, stream: this.options.definition.name, reason, message, input, value: value === undefined ? null : value, ...(step === undefined ? {} : { step }) };
    dead.push({ key: id, value: letter });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fieldOf(element: unknown, field: string): unknown {
  return typeof element === 'object' && element !== null && !Array.isArray(element) ? (element as Record<string, unknown>)[field] : undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}
