/**
 * @module examples/hit-rate/hit-rate
 * The hit-rate stream: per page (what page-hits counts), hits over the
 * last 24 hours, every hour, from web-server access logs in Combined Log
 * Format — the streaming twin of the page-hits batch job.
 *
 * ```
 *  access-log topic (one line per record)
 *    ─▶ map: line → { page, at }   malformed → <name>.dead-letters, with the reason
 *    ─▶ keyBy page, event time from the line's [timestamp]
 *    ─▶ sliding 24 h range, 1 h slices ─▶ count ─▶ hit-rate topic
 * ```
 */
import { describeProblem, pageOf } from '../page-hits/clf.js';
import { count } from '../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../src/streams/time/time-assigner.js';
import { sliding } from '../../src/streams/windows/window-spec.js';
import { stream, type PipelineDefinition } from '../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../src/streams/runtime/records.js';
import { topicSink } from '../../src/streams/runtime/sinks.js';
import { timeOfLine } from './clf-time.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** One parsed access. */
export interface Hit {
  page: string;
  at: number;
}

export interface HitRateOptions {
  /** @defaultValue 'access-log' */
  source?: string;
  /** @defaultValue 'hit-rate' */
  output?: string;
  /** How far out of order lines may be (servers write lines when requests end). @defaultValue 5 minutes */
  maxOutOfOrderMs?: number;
  /** @defaultValue 2 */
  partitions?: number;
}

/** A line as a hit; throws (so the line goes to the dead letters with the reason) when it is malformed. */
export function parseHit(line: string): Hit {
  const page = pageOf(line);
  if (typeof page !== 'string') throw new Error(describeProblem(page));
  return { page, at: timeOfLine(line) };
}

/** The pipeline. */
export function hitRate(options: HitRateOptions = {}): PipelineDefinition<number> {
  return stream<string>('hit-rate', { topic: options.source ?? 'access-log' })
    .map(parseHit, 'parse')
    .keyBy((hit) => hit.page, { time: eventTime<Hit>('at'), maxOutOfOrderMs: options.maxOutOfOrderMs ?? 5 * 60_000, partitions: options.partitions ?? 2 })
    .window(sliding({ range: DAY_MS, slide: HOUR_MS }))
    .aggregate(count)
    .to(topicSink(options.output ?? 'hit-rate'));
}

/**
 * Hits per page over all time, from the stream's final results: the
 * ranges ending at each midnight (UTC) do not overlap and cover the whole
 * time line, so their sum counts every hit once.
 */
export function totalHits(results: Iterable<ResultRecord<number>>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const result of results) {
    if (result.kind !== 'final' || result.end % DAY_MS !== 0) continue;
    const page = String(result.key);
    totals.set(page, (totals.get(page) ?? 0) + result.value);
  }
  return totals;
}
