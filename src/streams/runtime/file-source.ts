/**
 * @module streams/runtime/file-source
 * A file replayed into a topic: each line becomes one record (its text),
 * appended in batches, with the file position committed in the same
 * transaction as the batch. An interrupted ingest started again resumes
 * after the last line committed: with an atomic store, each line is in
 * the topic exactly once.
 *
 * ```
 *  file ──lines──▶ batch ──commit { append to topic, checkpoint: byte position }──▶ …
 * ```
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { MillraceError } from '../../core/errors.js';
import { decodeJson, encodeJsonBytes } from '../../core/json-codec.js';
import type { NewRecord } from '../../ports/log.js';
import type { StreamStore } from './stream-store.js';

export interface IngestFileOptions {
  path: string;
  topic: string;
  /** If the runtime creates the topic. @defaultValue 1 */
  partitions?: number;
  /** Names the ingest's checkpoint. @defaultValue `ingest:<topic>:<path>` */
  checkpointId?: string;
  /** Lines per commit. @defaultValue 2000 */
  batchLines?: number;
  /** Record timestamps (e.g. the line's own time); the append time if left out or if it returns NaN. */
  timestampOf?: (line: string) => number;
}

/** What an ingest did in this call. */
export interface IngestReport {
  lines: number;
  /** The file position ingested up to (all of it, at the end). */
  position: number;
}

const NEWLINE = 10;

/**
 * Appends the lines of `path` not yet ingested to `topic` (created if
 * missing), round-robin over its partitions. Empty lines are records
 * too (a parser downstream decides what they are); a final line without
 * a newline counts.
 *
 * @example
 * ```ts
 * await ingestFile(store, { path: 'access.log', topic: 'access-log', partitions: 2 })
 * ```
 */
export async function ingestFile(store: StreamStore, options: IngestFileOptions): Promise<IngestReport> {
  const { path, topic } = options;
  const checkpointId = options.checkpointId ?? `ingest:${topic}:${path}`;
  const batchLines = options.batchLines ?? 2000;
  const size = await stat(path).then((s) => s.size, () => {
    throw new MillraceError('INPUT_NOT_FOUND', `input file ${JSON.stringify(path)} does not exist`, { path });
  });
  await store.log.createTopic(topic, { partitions: options.partitions ?? 1 });
  const checkpoint = await store.checkpoints.load(checkpointId);
  let version = checkpoint?.version ?? 0;
  let position = checkpoint === undefined ? 0 : (decodeJson(checkpoint.state) as { position: number }).position;
  let lines = 0;
  let batch: NewRecord[] = [];
  let batchEnd = position;
  const commit = async (): Promise<void> => {
    version = await store.commit({
      checkpointId, appends: [{ topic, records: batch }], state: encodeJsonBytes({ position: batchEnd }), offsets: {}, expectedVersion: version,
    });
    lines += batch.length;
    position = batchEnd;
    batch = [];
  };
  const add = (bytes: Buffer, end: number): void => {
    batchEnd = end;
    const line = bytes.toString('utf8');
    const timestamp = options.timestampOf?.(line);
    batch.push(timestamp === undefined || !Number.isFinite(timestamp) ? { value: line } : { value: line, timestamp });
  };
  if (position < size) {
    let pending: Buffer = Buffer.alloc(0);
    let at = position;
    for await (const chunk of createReadStream(path, { start: position }) as AsyncIterable<Buffer>) {
      let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      for (let newline = data.indexOf(NEWLINE); newline >= 0; newline = data.indexOf(NEWLINE)) {
        at += newline + 1;
        add(stripCr(data.subarray(0, newline)), at);
        data = data.subarray(newline + 1);
        if (batch.length >= batchLines) await commit();
      }
      pending = Buffer.from(data);
    }
    if (pending.length > 0) add(stripCr(pending), at + pending.length);
  }
  if (batch.length > 0 || batchEnd > position) await commit();
  return { lines, position };
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
}
