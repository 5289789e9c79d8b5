/**
 * Scenario 11's stream and its data: readings from producers whose clocks
 * are off by up to ±5 minutes, 1% of them held back until the watermark
 * has passed their windows by more than the allowed lateness, the pipeline
 * over them, and the batch recomputation its results must equal.
 *
 * Why every reading's fate is known before the run: the readings go to one
 * source partition, in the order generated, so the watermark a reading
 * meets is fixed by the log, not by timing. The mapper sends a watermark
 * (highest time so far − maxOutOfOrderMs) after each batch of at most
 * `BATCH_SIZE` records, so a reading at position i meets a watermark
 *
 *   at least  max time of positions [0, i − BATCH_SIZE] − maxOutOfOrderMs   (batches end no later)
 *   at most   max time of positions [0, i − 1]          − maxOutOfOrderMs   (no marker covers more)
 *
 * An on-time reading is never below the upper bound (the producers' clocks
 * spread 10 minutes; maxOutOfOrderMs covers the spread), so it is accepted
 * into a window that is still open: no update, no late event. A held-back
 * reading is placed a range, a slide and the lateness below the lower
 * bound, so every window it belongs to is emitted and past its lateness:
 * late, whatever the batches and however often the worker was killed.
 * (With several source partitions the watermark is a minimum over mappers
 * that run at their own pace, and a held-back reading could meet one from
 * before they caught up: docs/streams.md, replay.)
 */
import { eventTime } from '../../src/streams/time/time-assigner.js';
import { sliding } from '../../src/streams/windows/window-spec.js';
import { stream, type PipelineDefinition } from '../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../src/streams/runtime/records.js';
import { callbackSink, topicSink } from '../../src/streams/runtime/sinks.js';
import { sequences } from './kill-stream-pipeline.js';

/** One reading: `id` is its position in the log, `at` the producer's clock when it was taken. */
export interface Reading { id: number; key: string; producer: number; at: number }

export const STREAM = 's11';
export const SOURCE_TOPIC = 'readings';
export const SINK_TOPIC = 's11-windows';
export const RANGE_MS = 120_000;
export const SLIDE_MS = 60_000;
export const MAX_SKEW_MS = 5 * 60_000;
/** Within one producer, readings are up to this much out of order. */
export const JITTER_MS = 1_000;
/** The spread of the producers' clocks, plus jitter: an on-time reading is never behind the watermark. */
export const MAX_OUT_OF_ORDER_MS = 2 * MAX_SKEW_MS + JITTER_MS;
export const ALLOWED_LATENESS_MS = 60_000;
/** The mapper's and window tasks' batch size; the lower bound on the watermark above depends on it. */
export const BATCH_SIZE = 97;
export const PRODUCERS = 4;
const KEYS = 11;
const START = Date.UTC(2026, 0, 1);

/** The pipeline: ids of the readings per key in sliding windows, to a topic (exactly once) and to `deliver` (at least once). */
export function skewedPipeline(deliver: (results: readonly ResultRecord<number[]>[]) => void, tick: () => void = () => undefined): PipelineDefinition<number[]> {
  return stream<Reading>(STREAM, { topic: SOURCE_TOPIC })
    .map((reading) => (tick(), reading))
    .keyBy((reading) => reading.key, { time: eventTime<Reading>('at'), maxOutOfOrderMs: MAX_OUT_OF_ORDER_MS, partitions: 3 })
    .window(sliding({ range: RANGE_MS, slide: SLIDE_MS }), { allowedLatenessMs: ALLOWED_LATENESS_MS })
    .aggregate(sequences, (reading) => (tick(), reading.id))
    .to(topicSink(SINK_TOPIC, { partitions: 2 }), callbackSink(deliver));
}

/** How the ledger names a window result: `<key>@<start>-<end>`. */
export function windowKey(result: { key: unknown; start: number; end: number }): string {
  return `${String(result.key)}@${result.start}-${result.end}`;
}

export interface SkewedReadings {
  /** In log order. */
  readings: Reading[];
  /** Ids of the held-back readings: exactly 1% of them. */
  lateIds: number[];
  /** Per producer, its clock's offset. */
  skews: number[];
}

/** `count` readings from `PRODUCERS` skewed producers, 1% held back; every choice from `random`. */
export function skewedReadings(count: number, random: () => number): SkewedReadings {
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const skews = Array.from({ length: PRODUCERS }, () => between(-MAX_SKEW_MS, MAX_SKEW_MS));
  const late = new Set<number>();
  while (late.size < Math.round(count / 100)) late.add(between(3 * BATCH_SIZE, count - 1));
  const readings: Reading[] = [];
  const prefixMax: number[] = [];
  let now = START;
  let max = Number.NEGATIVE_INFINITY;
  for (let id = 0; id < count; id++) {
    now += between(0, 200);
    const producer = between(0, PRODUCERS - 1);
    const key = `k${between(0, KEYS - 1)}`;
    let at: number;
    if (late.has(id)) {
      const watermarkAtLeast = prefixMax[id - BATCH_SIZE]! - MAX_OUT_OF_ORDER_MS;
      at = watermarkAtLeast - ALLOWED_LATENESS_MS - RANGE_MS - SLIDE_MS - between(0, RANGE_MS);
    } else {
      at = now + skews[producer]! + between(0, JITTER_MS - 1);
      // Cannot happen with the constants above; guards them against an edit.
      if (at < max - MAX_OUT_OF_ORDER_MS) throw new Error(`reading ${id} would be behind the watermark: skews and maxOutOfOrderMs disagree`);
    }
    max = Math.max(max, at);
    prefixMax.push(max);
    readings.push({ id, key, producer, at });
  }
  return { readings, lateIds: [...late].sort((a, b) => a - b), skews };
}

/** Batch recomputation over the readings that are not late: per window key, the sorted ids in `[end − range, end)`. */
export function expectedWindows(readings: readonly Reading[], lateIds: readonly number[]): Map<string, number[]> {
  const late = new Set(lateIds);
  const windows = new Map<string, number[]>();
  for (const reading of readings) {
    if (late.has(reading.id)) continue;
    for (let end = (Math.floor(reading.at / SLIDE_MS) + 1) * SLIDE_MS; end - RANGE_MS <= reading.at; end += SLIDE_MS) {
      const id = windowKey({ key: reading.key, start: end - RANGE_MS, end });
      let ids = windows.get(id);
      if (ids === undefined) windows.set(id, (ids = []));
      ids.push(reading.id);
    }
  }
  for (const ids of windows.values()) ids.sort((a, b) => a - b);
  return windows;
}
