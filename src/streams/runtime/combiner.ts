/**
 * @module streams/runtime/combiner
 * Map-side combine with adaptive flow control. Each window task grants
 * its mappers **credits**: `maxBacklog` keyed records it is willing to
 * have outstanding (appended, not yet windowed). A mapper reads the backlog
 * from the Log (keyed topic end offset − the window task's checkpointed
 * position) before it appends a batch, per keyed partition:
 *
 * ```
 *  events for partition i ≤ credits_i   push:    one keyed record per event   (lowest latency)
 *  events for partition i > credits_i   combine: one partial per (key, slice) (the reducer is behind:
 *                                                 send less, let it catch up)
 * ```
 *
 * A partial carries the aggregate's accumulator (v8-serialised, so Maps
 * and typed arrays survive), how many events it holds and their input
 * positions. The window task merges it like its own combined events. The
 * one thing a partial loses is the events themselves: if it arrives past
 * the allowed lateness, the late topic gets one record per event with its
 * id and time but `value: null` (`combined: true`).
 */
import { deserialize, serialize } from 'node:v8';
import type { NewRecord } from '../../ports/log.js';
import type { StreamKey } from '../stream-key.js';
import { planSlices, type LandmarkWindow, type SlidingWindow, type TumblingWindow } from '../windows/window-spec.js';
import type { PipelineDefinition } from './pipeline.js';
import { internalTopics, keyText, type KeyedRecord } from './records.js';
import type { StreamStore } from './stream-store.js';

/** Counters of how often each mode ran (per mapper). */
export interface CombineCounters {
  /** Batches (per keyed partition) sent event by event. */
  pushBatches: number;
  /** Batches (per keyed partition) combined because credits ran out. */
  combineBatches: number;
  /** Events sent as themselves. */
  pushedEvents: number;
  /** Events folded into partials, and the partials sent. */
  combinedEvents: number;
  partials: number;
}

export function emptyCombineCounters(): CombineCounters {
  return { pushBatches: 0, combineBatches: 0, pushedEvents: 0, combinedEvents: 0, partials: 0 };
}

/** An accumulator as text for a JSON record. */
export function encodePartial(acc: unknown): string {
  return serialize(acc).toString('base64');
}

export function decodePartial(text: string): unknown {
  return deserialize(Buffer.from(text, 'base64'));
}

/** Credits per keyed partition: `maxBacklog` minus what each window task has not yet read. */
export async function creditsOf(store: StreamStore, runId: string, partitions: number, maxBacklog: number): Promise<number[]> {
  const keyed = internalTopics(runId).keyed;
  const ends = (await store.log.topicInfo(keyed)).endOffsets;
  const credits: number[] = [];
  for (let i = 0; i < partitions; i++) {
    const checkpoint = await store.checkpoints.load(`${runId}/window/${i}`);
    const position = checkpoint?.offsets[`${keyed}/${i}`] ?? 0;
    credits.push(maxBacklog - ((ends[i] ?? 0) - position));
  }
  return credits;
}

/**
 * Replaces, per keyed partition whose events exceed its credits, the event
 * records of `keyed` with one partial per (key, slice); keeps the order of
 * everything else (markers are appended after events by the caller).
 */
export function combineOverCredits(definition: PipelineDefinition, keyed: NewRecord[], credits: readonly number[], counters: CombineCounters): NewRecord[] {
  const perPartition = new Array<number>(credits.length).fill(0);
  for (const record of keyed) perPartition[record.partition!]!++;
  const combine = perPartition.map((n, i) => n > 0 && n > credits[i]!);
  perPartition.forEach((n, i) => {
    if (n === 0) return;
    if (combine[i]) {
      counters.combineBatches++;
      counters.combinedEvents += n;
    } else {
      counters.pushBatches++;
      counters.pushedEvents += n;
    }
  });
  if (!combine.includes(true)) return keyed;
  const plan = planSlices(definition.window as TumblingWindow | SlidingWindow | LandmarkWindow);
  const { aggregate, value: project } = definition;
  const groups = new Map<string, { partition: number; key: StreamKey; time: number; acc: unknown; srcs: string[]; times: number[] }>();
  const out: NewRecord[] = [];
  for (const record of keyed) {
    if (!combine[record.partition!]) {
      out.push(record);
      continue;
    }
    const event = record.value as Extract<KeyedRecord, { t: 'e' }>;
    const slice = Math.floor((event.time - plan.origin) / plan.sliceMs);
    const id = `${slice}\u0000${typeof event.k}\u0000${event.k}`;
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { partition: record.partition!, key: event.k, time: event.time, acc: aggregate.init(), srcs: [], times: [] }));
    group.acc = aggregate.add(group.acc, project === undefined ? event.v : project(event.v));
    group.srcs.push(event.src);
    group.times.push(event.time);
  }
  for (const group of groups.values()) {
    counters.partials++;
    const value: KeyedRecord = { t: 'p', k: group.key, time: group.time, acc: encodePartial(group.acc), srcs: group.srcs, times: group.times };
    out.push({ key: keyText(group.key), partition: group.partition, value, timestamp: group.time });
  }
  return out;
}
