/**
 * @module streams/runtime/replay
 * Kappa replay: the same pipeline over a stretch of its source's history,
 * into outputs of its own. The log is the single source of truth, so a
 * replay of what a live run read gives the live run's results.
 *
 * ```
 *  source topic ──[from, to)──▶ same mapper and window tasks ──▶ <sink>.replay.<label>
 *                               run id <name>.replay.<label>      <name>.replay.<label>.late / .dead-letters
 * ```
 *
 * A replay is a bounded run: when every source partition is read to `to`,
 * the watermark goes to the end and every window is emitted. It has its
 * own checkpoints, so a replay that is interrupted resumes when started
 * again with the same label, and one that finished does nothing more.
 */
import { MillraceError } from '../../core/errors.js';
import type { PartitionRange } from './mapper-task.js';
import type { PipelineDefinition } from './pipeline.js';
import { startPipeline, type RunningPipeline, type StartPipelineOptions } from './run-pipeline.js';

/** A replay bound: an offset (in every source partition) or an event time (ms since the epoch). */
export type ReplayBound = { offset: number } | { time: number };

export interface ReplayOptions extends Omit<StartPipelineOptions, 'runId' | 'sinkTopics' | 'ranges'> {
  /** Inclusive start. @defaultValue the beginning */
  from?: ReplayBound;
  /** Exclusive end. @defaultValue the source's end when the replay starts */
  to?: ReplayBound;
  /** Names the replay's outputs. @defaultValue built from `from` and `to` */
  label?: string;
}

export interface RunningReplay extends RunningPipeline {
  /** Sink topic (or blob prefix) → the topic (prefix) this replay writes instead. */
  readonly outputs: ReadonlyMap<string, string>;
}

/**
 * Replays `definition` over `[from, to)` of its source. With time bounds
 * every record is read and events outside `[from, to)` (by the pipeline's
 * event time) are skipped; ranges cut by a bound hold only the events inside it.
 *
 * @example
 * ```ts
 * const replay = await replayPipeline(perPage, { store, from: { time: Date.parse('2024-03-01') }, label: 'march' })
 * await replay.done
 * replay.outputs.get('per-page-minute') // 'per-page-minute.replay.march'
 * ```
 */
export async function replayPipeline(definition: PipelineDefinition, options: ReplayOptions): Promise<RunningReplay> {
  const { from, to, label: given, ...rest } = options;
  const label = given ?? `${describe(from, 'start')}-${describe(to, 'end')}`;
  if (!/^[A-Za-z0-9._-]+$/.test(label)) throw new MillraceError('CONFIG_INVALID', `replay label must be letters, digits, '.', '_' or '-', got ${JSON.stringify(label)}`, { field: 'label' });
  const runId = `${definition.name}.replay.${label}`;
  const info = await options.store.log.topicInfo(definition.source.topic);
  const ranges: PartitionRange[] = info.endOffsets.map((end) => ({
    from: from !== undefined && 'offset' in from ? Math.min(checkBound(from.offset), end) : 0,
    to: to !== undefined && 'offset' in to ? Math.min(checkBound(to.offset), end) : end,
    ...(from !== undefined && 'time' in from ? { fromTime: from.time } : {}),
    ...(to !== undefined && 'time' in to ? { toTime: to.time } : {}),
  }));
  const outputs = new Map<string, string>();
  for (const sink of definition.sinks) {
    if (sink.kind === 'topic') outputs.set(sink.topic, `${sink.topic}.replay.${label}`);
    else if (sink.kind === 'blob') outputs.set(sink.prefix, `${sink.prefix}.replay.${label}`);
  }
  const running = await startPipeline(definition, { ...rest, runId, sinkTopics: outputs, ranges });
  return { ...running, runId: running.runId, done: running.done, stop: running.stop, metrics: running.metrics, outputs };
}

/** Parses a command-line bound: a whole number is an offset; an ISO date or `time:<ms>` is a time. */
export function parseReplayBound(text: string): ReplayBound {
  if (/^\d+$/.test(text)) return { offset: Number(text) };
  const ms = text.startsWith('time:') ? Number(text.slice(5)) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new MillraceError('CONFIG_INVALID', `a replay bound is an offset (a whole number), an ISO date, or time:<ms since the epoch>; got ${JSON.stringify(text)}`, { field: 'bound' });
  return { time: ms };
}

function checkBound(offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new MillraceError('CONFIG_INVALID', `a replay offset must be a whole number ≥ 0, got ${offset}`, { field: 'offset' });
  return offset;
}

function describe(bound: ReplayBound | undefined, otherwise: string): string {
  if (bound === undefined) return otherwise;
  return 'offset' in bound ? `o${bound.offset}` : `t${bound.time}`;
}
