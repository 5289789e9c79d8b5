/**
 * @module streams/runtime/pipeline
 * The pipeline API: a fluent, immutable builder that ends in a plain
 * {@link PipelineDefinition}, which `startPipeline` runs and `replay` runs
 * again over history.
 *
 * ```
 *  stream('clicks', { topic: 'clicks' })          source: a Log topic
 *    .map(parse).filter(isHuman).flatMap(split)   per record, in the mapper tasks
 *    .keyBy((e) => e.page, { time: eventTime('at') })
 *    .window(sliding({ range: 60_000, slide: 1_000 }), { allowedLatenessMs: 5_000 })
 *    .aggregate(count)                            per key, in the window tasks
 *    .to(topicSink('clicks-per-page'))            a topic, a table, a callback
 * ```
 */
import { MillraceError } from '../../core/errors.js';
import { validateAggregate, type Aggregate } from '../aggregates/aggregate.js';
import type { StreamKey } from '../stream-key.js';
import type { TimeAssigner } from '../time/time-assigner.js';
import { createWindowOperator } from '../windows/create-window-operator.js';
import type { EmitStrategy } from '../windows/window-operator.js';
import type { WindowSpec } from '../windows/window-spec.js';
import type { Sink } from './sinks.js';

/** One per-record step of the mapper stage. A step that throws sends the record to the dead-letter topic with its message. */
export type Step =
  | { kind: 'map'; name: string; fn: (value: unknown) => unknown }
  | { kind: 'filter'; name: string; fn: (value: unknown) => boolean }
  | { kind: 'flatMap'; name: string; fn: (value: unknown) => Iterable<unknown> };

/** Where a pipeline reads. */
export interface SourceOptions {
  /** The `Log` topic holding the input. */
  topic: string;
}

/** How records are keyed, timed and spread over partition tasks. */
export interface KeyOptions<T> {
  /**
   * The event's time: `eventTime('field')`, `eventTime(fn)`, `processingTime()`
   * (the mapper's clock), or `'record'` for the Log record's timestamp.
   * @defaultValue 'record'
   */
  time?: TimeAssigner<T> | 'record';
  /**
   * How far out of order events may arrive per source partition: a
   * partition's watermark is its highest event time minus this.
   * @defaultValue 0
   */
  maxOutOfOrderMs?: number;
  /** Partition tasks the keyed work is hash-partitioned over (stable FNV-1a of the key). @defaultValue 2 */
  partitions?: number;
  /**
   * A source partition with nothing new for this long (processing time) is
   * marked idle, so it does not hold every window open. Idleness depends
   * on timing, so a replay may not see the same idle periods.
   * @defaultValue undefined (never idle)
   */
  idleAfterMs?: number;
  /**
   * Map-side combine with credit-based flow control (see combiner.ts): each
   * window task accepts `maxBacklog` outstanding keyed records; past that,
   * mappers send one partial per key and slice instead of every event.
   * @defaultValue undefined (always push events)
   */
  combine?: { maxBacklog: number };
}

/** Window options besides the window itself. */
export interface WindowStageOptions {
  /** @defaultValue 0 */
  allowedLatenessMs?: number;
  /** @defaultValue final results only */
  emit?: EmitStrategy;
}

/** A complete pipeline, as plain data plus the user's functions. */
export interface PipelineDefinition<Out = unknown> {
  readonly name: string;
  readonly source: SourceOptions;
  readonly steps: readonly Step[];
  readonly key: (value: unknown) => StreamKey;
  readonly keyOptions: Required<Pick<KeyOptions<unknown>, 'maxOutOfOrderMs' | 'partitions'>> & Pick<KeyOptions<unknown>, 'time' | 'idleAfterMs' | 'combine'>;
  readonly window: WindowSpec;
  readonly windowOptions: Required<Pick<WindowStageOptions, 'allowedLatenessMs'>> & Pick<WindowStageOptions, 'emit'>;
  readonly aggregate: Aggregate<unknown, unknown, Out>;
  /** What the aggregate adds, from an event; undefined: the event. */
  readonly value: ((event: unknown) => unknown) | undefined;
  readonly sinks: readonly Sink<Out>[];
}

/** Before `keyBy`: per-record steps. */
export interface StreamBuilder<T> {
  map<U>(fn: (value: T) => U, name?: string): StreamBuilder<U>;
  filter(fn: (value: T) => boolean, name?: string): StreamBuilder<T>;
  flatMap<U>(fn: (value: T) => Iterable<U>, name?: string): StreamBuilder<U>;
  keyBy(key: (value: T) => StreamKey, options?: KeyOptions<T>): KeyedBuilder<T>;
}
export interface KeyedBuilder<T> {
  window(window: WindowSpec, options?: WindowStageOptions): WindowedBuilder<T>;
}
export interface WindowedBuilder<T> {
  /** Aggregates each key's events per range; `value` picks what the aggregate adds (default: the event itself). */
  aggregate<Acc, Out>(aggregate: Aggregate<T, Acc, Out>): AggregatedBuilder<Out>;
  aggregate<V, Acc, Out>(aggregate: Aggregate<V, Acc, Out>, value: (event: T) => V): AggregatedBuilder<Out>;
}
export interface AggregatedBuilder<Out> {
  /** The finished definition, writing every result to each sink. */
  to(...sinks: Sink<Out>[]): PipelineDefinition<Out>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Starts a pipeline definition named `name` (used for its checkpoints and
 * internal topics: `<name>.keyed`, `<name>.dead-letters`, `<name>.late`).
 *
 * @example
 * ```ts
 * const perPage = stream<Click>('per-page', { topic: 'clicks' })
 *   .keyBy((c) => c.page, { time: eventTime('at'), maxOutOfOrderMs: 2_000 })
 *   .window(tumbling({ size: 60_000 }))
 *   .aggregate(count)
 *   .to(topicSink('per-page-minute'))
 * ```
 */
export function stream<T = unknown>(name: string, source: SourceOptions): StreamBuilder<T> {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new MillraceError('CONFIG_INVALID', `stream name must be letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${JSON.stringify(name)}`, { field: 'name' });
  }
  if (typeof source?.topic !== 'string' || source.topic.length === 0) {
    throw new MillraceError('CONFIG_INVALID', `stream ${name}: source.topic must be a topic name`, { field: 'source.topic' });
  }
  return builder<T>(name, source, []);
}

function builder<T>(name: string, source: SourceOptions, steps: Step[]): StreamBuilder<T> {
  const step = (kind: Step['kind'], fn: unknown, label: string | undefined): Step[] => {
    if (typeof fn !== 'function') throw new MillraceError('CONFIG_INVALID', `stream ${name}: ${kind} needs a function, got ${typeof fn}`, { field: kind });
    return [...steps, { kind, name: label ?? `${kind}#${steps.length + 1}`, fn } as Step];
  };
  return {
    map: (fn, label) => builder(name, source, step('map', fn, label)),
    filter: (fn, label) => builder(name, source, step('filter', fn, label)),
    flatMap: (fn, label) => builder(name, source, step('flatMap', fn, label)),
    keyBy: (key, options = {}) => {
      if (typeof key !== 'function') throw new MillraceError('CONFIG_INVALID', `stream ${name}: keyBy needs a function`, { field: 'keyBy' });
      const keyOptions = checkKeyOptions(name, options as KeyOptions<unknown>);
      return {
        window: (window, windowOptions = {}) => {
          const allowedLatenessMs = windowOptions.allowedLatenessMs ?? 0;
          return {
            aggregate: <Acc, Out>(aggregate: Aggregate<unknown, Acc, Out>, value?: (event: T) => unknown): AggregatedBuilder<Out> => ({
              to: (...sinks: Sink<Out>[]): PipelineDefinition<Out> => {
                validateAggregate(aggregate);
                if (value !== undefined && typeof value !== 'function') throw new MillraceError('CONFIG_INVALID', `stream ${name}: aggregate's value must be a function`, { field: 'value' });
                // Checks the window and options now, with the core's messages (e.g. a range that is not a multiple of its slice).
                createWindowOperator({ window, aggregate, allowedLatenessMs, ...(windowOptions.emit === undefined ? {} : { emit: windowOptions.emit }) });
                if (window.kind === 'session' && keyOptions.combine !== undefined) {
                  throw new MillraceError('CONFIG_INVALID', `stream ${name}: map-side combine works per slice, and session windows have none; drop keyBy's combine option or use a tumbling, sliding or landmark window`, { field: 'combine' });
                }
                if (sinks.length === 0) throw new MillraceError('CONFIG_INVALID', `stream ${name}: give at least one sink to .to()`, { field: 'sinks' });
                return {
                  name, source, steps, key: key as (value: unknown) => StreamKey, keyOptions, window,
                  windowOptions: { allowedLatenessMs, ...(windowOptions.emit === undefined ? {} : { emit: windowOptions.emit }) },
                  aggregate: aggregate as unknown as Aggregate<unknown, unknown, Out>, value: value as ((event: unknown) => unknown) | undefined, sinks,
                };
              },
            }),
          };
        },
      };
    },
  };
}

function checkKeyOptions(name: string, options: KeyOptions<unknown>): PipelineDefinition['keyOptions'] {
  const partitions = options.partitions ?? 2;
  const maxOutOfOrderMs = options.maxOutOfOrderMs ?? 0;
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new MillraceError('CONFIG_INVALID', `stream ${name}: partitions must be a whole number ≥ 1, got ${String(partitions)}`, { field: 'partitions' });
  }
  if (!Number.isSafeInteger(maxOutOfOrderMs) || maxOutOfOrderMs < 0) {
    throw new MillraceError('CONFIG_INVALID', `stream ${name}: maxOutOfOrderMs must be a whole number ≥ 0, got ${String(maxOutOfOrderMs)}`, { field: 'maxOutOfOrderMs' });
  }
  if (options.idleAfterMs !== undefined && !(options.idleAfterMs > 0)) {
    throw new MillraceError('CONFIG_INVALID', `stream ${name}: idleAfterMs must be positive, got ${String(options.idleAfterMs)}`, { field: 'idleAfterMs' });
  }
  if (options.combine !== undefined && !(Number.isSafeInteger(options.combine.maxBacklog) && options.combine.maxBacklog >= 0)) {
    throw new MillraceError('CONFIG_INVALID', `stream ${name}: combine.maxBacklog must be a whole number ≥ 0, got ${String(options.combine.maxBacklog)}`, { field: 'combine.maxBacklog' });
  }
  return {
    partitions, maxOutOfOrderMs, ...(options.time === undefined ? {} : { time: options.time }), ...(options.idleAfterMs === undefined ? {} : { idleAfterMs: options.idleAfterMs }),
    ...(options.combine === undefined ? {} : { combine: { maxBacklog: options.combine.maxBacklog } }),
  };
}

/** Whether `value` is a definition made by `stream(...)…to(...)` (for loaders that look through a module's exports). */
export function isPipelineDefinition(value: unknown): value is PipelineDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<PipelineDefinition>;
  return typeof candidate.name === 'string' && typeof candidate.source?.topic === 'string' && Array.isArray(candidate.steps)
    && typeof candidate.key === 'function' && typeof candidate.window === 'object' && typeof candidate.aggregate === 'object' && Array.isArray(candidate.sinks);
}
