/**
 * @module streams/runtime/sinks
 * Where window results go.
 *
 * | sink | delivery |
 * | --- | --- |
 * | `topicSink` | exactly once when the store commits atomically (see `stream-store.ts`); at least once otherwise. Records are keyed by the result's key, so a later stage can read the topic as its source (stages chain) |
 * | `tableSink` | a topic sink read as a keyed table (`materializeTable`): the latest result per key |
 * | `callbackSink` | at least once: called before the commit that covers the results, so after a crash the results since the last checkpoint are handed over again (same ids) |
 * | `blobSink` | one newline-delimited JSON file per window end, keyed partition and kind, written before the commit that covers it. Final results' files have deterministic names and contents, so a re-run after a crash writes the same bytes to the same key (a no-op): in effect exactly once. Update and early files are named after the hand-back that made them (as their result ids are) |
 */
import { MillraceError } from '../../core/errors.js';
import type { ResultRecord } from './records.js';

/** A sink: a topic, or a function. */
export type Sink<Out> = TopicSink | CallbackSink<Out> | BlobSink;

export interface TopicSink {
  kind: 'topic';
  topic: string;
  partitions: number;
}

export interface BlobSink {
  kind: 'blob';
  /** Key prefix in the blob store (`/`-separated segments). */
  prefix: string;
}

export interface CallbackSink<Out> {
  kind: 'callback';
  /** A method, so a sink of specific results fits a pipeline typed more loosely. */
  deliver(results: readonly ResultRecord<Out>[]): void | Promise<void>;
}

/**
 * Results appended to `topic` as {@link ResultRecord}s, keyed by the result's key.
 * @param options.partitions the topic's partitions, if the runtime creates it. @defaultValue 1
 */
export function topicSink<Out = unknown>(topic: string, options: { partitions?: number } = {}): Sink<Out> {
  if (typeof topic !== 'string' || topic.length === 0) throw new MillraceError('CONFIG_INVALID', 'topicSink needs a topic name', { field: 'topic' });
  const partitions = options.partitions ?? 1;
  if (!Number.isSafeInteger(partitions) || partitions < 1) throw new MillraceError('CONFIG_INVALID', `topicSink ${topic}: partitions must be a whole number ≥ 1`, { field: 'partitions' });
  return { kind: 'topic', topic, partitions };
}

/** A changelog topic to read back as a keyed table with `materializeTable`: its latest record per key wins. */
export function tableSink<Out = unknown>(topic: string, options: { partitions?: number } = {}): Sink<Out> {
  return topicSink<Out>(topic, options);
}

/** Results handed to `fn` in output order, one call per commit; at least once (see the module comment). */
export function callbackSink<Out = unknown>(fn: (results: readonly ResultRecord<Out>[]) => void | Promise<void>): Sink<Out> {
  if (typeof fn !== 'function') throw new MillraceError('CONFIG_INVALID', 'callbackSink needs a function', { field: 'fn' });
  return { kind: 'callback', deliver: fn };
}

/**
 * Results written to the blob store given to the run (`blobs`), as
 * newline-delimited {@link ResultRecord}s, one file per window end, keyed
 * partition and kind:
 *
 * ```
 *  <prefix>/<end>/<partition>-final.ndjson             every final result of ranges ending at <end> from that partition
 *  <prefix>/<end>/<partition>-update-<offset>.ndjson   updates (and early results: -early-) handed back at that keyed-topic offset
 * ```
 *
 * A replay writes under `<prefix>.replay.<label>`.
 *
 * @example
 * ```ts
 * stream('per-page', { topic: 'clicks' })…aggregate(count).to(blobSink('reports/per-page'))
 * await startPipeline(definition, { store, blobs })
 * ```
 */
export function blobSink(prefix: string): BlobSink {
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(prefix) || prefix.split('/').some((part) => part === '.' || part === '..')) {
    throw new MillraceError('CONFIG_INVALID', `blobSink needs a key prefix of '/'-separated names (letters, digits, '.', '_', '-'), got ${JSON.stringify(prefix)}`, { field: 'prefix' });
  }
  return { kind: 'blob', prefix };
}
