/**
 * @module streams/http/recent-results
 * The newest window results of a pipeline, read back from its first topic
 * (or table) sink: what a dashboard charts live. Only the tail of each
 * partition is read, so the cost does not grow with the topic.
 */
import type { Log, LogRecord } from '../../ports/log.js';
import type { PipelineDefinition } from '../runtime/pipeline.js';
import type { ResultRecord } from '../runtime/records.js';

export interface RecentResults {
  name: string;
  /** The sink topic read, or null when the pipeline has no topic sink. */
  topic: string | null;
  /** The newest appended (up to `limit` from each partition, then the latest `limit` by append time), ordered by window end. */
  results: Array<ResultRecord & { partition: number; offset: number }>;
}

/**
 * Up to `limit` of the results appended last, gathered from the tail of
 * every partition of the sink topic and ordered by window end (window
 * tasks of different keyed partitions append in no common order).
 */
export async function recentResults(log: Log, definition: PipelineDefinition, limit: number): Promise<RecentResults> {
  const sink = definition.sinks.find((candidate) => candidate.kind === 'topic');
  if (sink === undefined) return { name: definition.name, topic: null, results: [] };
  const info = await log.topicInfo(sink.topic).catch(() => undefined);
  if (info === undefined) return { name: definition.name, topic: sink.topic, results: [] };
  const records: LogRecord[] = [];
  for (const [partition, end] of info.endOffsets.entries()) {
    if (end === 0) continue;
    records.push(...(await log.read(sink.topic, partition, Math.max(0, end - limit), { limit })));
  }
  const results = records
    .filter((record) => isResult(record.value))
    .map((record) => ({ ...(record.value as ResultRecord), partition: record.partition, offset: record.offset, at: record.timestamp }))
    .sort((a, b) => a.at - b.at || a.partition - b.partition || a.offset - b.offset)
    .slice(-limit)
    .sort((a, b) => a.end - b.end || a.at - b.at)
    .map(({ at: _at, ...result }) => result);
  return { name: definition.name, topic: sink.topic, results };
}

function isResult(value: unknown): value is ResultRecord {
  const v = value as Partial<ResultRecord> | null;
  return v !== null && typeof v === 'object' && typeof v.id === 'string' && typeof v.start === 'number' && typeof v.end === 'number';
}
