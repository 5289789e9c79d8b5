/**
 * The pipeline of the kill-stream fault test, and the batch recomputation
 * its results must equal. Each event is `{ key, seq, at }`; the aggregate
 * collects `seq`s, so a result says exactly which events it counted.
 */
import type { Aggregate } from '../../src/streams/aggregates/aggregate.js';
import { eventTime } from '../../src/streams/time/time-assigner.js';
import { sliding } from '../../src/streams/windows/window-spec.js';
import { stream, type PipelineDefinition } from '../../src/streams/runtime/pipeline.js';
import { topicSink } from '../../src/streams/runtime/sinks.js';

export interface SeqEvent { key: string; seq: number; at: number }

export const RANGE_MS = 2_000;
export const SLIDE_MS = 1_000;
export const KEYS = 13;

/** Sequence numbers seen, kept sorted on output. No `unmerge`: the window runs on two stacks. */
export const sequences: Aggregate<number, number[], number[]> = {
  name: 'sequences',
  init: () => [],
  add: (acc, seq) => (acc.push(seq), acc),
  merge: (a, b) => (a.push(...b), a),
  result: (acc) => [...acc].sort((x, y) => x - y),
};

/** `tick` runs once per event in each stage (the child uses it to kill itself). */
export function sequencePipeline(tick: () => void = () => undefined): PipelineDefinition<number[]> {
  return stream<SeqEvent>('seq', { topic: 'events' })
    .map((event) => (tick(), event))
    .keyBy((event) => event.key, { time: eventTime<SeqEvent>('at'), maxOutOfOrderMs: 500, partitions: 3 })
    .window(sliding({ range: RANGE_MS, slide: SLIDE_MS }))
    .aggregate(sequences, (event) => (tick(), event.seq))
    .to(topicSink('seq-windows', { partitions: 2 }));
}

/** The events: `count` of them over `KEYS` keys, per key seq 0, 1, 2 …, times 7 ms apart with up to 300 ms of disorder. */
export function sequenceEvents(count: number): SeqEvent[] {
  const next = new Array<number>(KEYS).fill(0);
  return Array.from({ length: count }, (_, i) => {
    const k = (i * 5 + (i >> 3)) % KEYS;
    return { key: `k${k}`, seq: next[k]!++, at: 7 * i + ((i * 7919) % 300) };
  });
}

/** Batch recomputation: per window and key, the sorted seqs of the events in `[end − range, end)`. */
export function expectedWindows(events: readonly SeqEvent[]): Map<string, number[]> {
  const windows = new Map<string, number[]>();
  for (const event of events) {
    const first = Math.floor(event.at / SLIDE_MS) + 1;
    for (let end = first * SLIDE_MS; end - RANGE_MS <= event.at; end += SLIDE_MS) {
      const id = `${event.key}@${end - RANGE_MS}-${end}`;
      windows.set(id, [...(windows.get(id) ?? []), event.seq]);
    }
  }
  for (const seqs of windows.values()) seqs.sort((a, b) => a - b);
  return windows;
}
