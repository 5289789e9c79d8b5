/**
 * @module streams/runtime/blob-files
 * How a window task's results become blob files (see `blobSink`): grouped
 * by window end and kind, one newline-delimited JSON file each, named so
 * that re-running the same step writes the same bytes to the same key.
 *
 * Why per window end and keyed partition: a range's final results for the
 * keys of one keyed partition come out of one hand-back, at the watermark
 * marker that passes its end — a fixed record of that partition — so both
 * the file's name and its contents depend only on the partition's records.
 * A task restarted from its checkpoint replays that marker and puts the
 * same file again, which the blob store takes as a no-op (same key, same
 * content). Different content under the same key fails with
 * `BLOB_CONFLICT`: something changed the results (a different pipeline
 * run under the same name), and that is reported, never overwritten.
 */
import type { BlobStore } from '../../ports/blob-store.js';
import type { ResultRecord } from './records.js';

const encoder = new TextEncoder();

/** The key of the file holding `result`, from keyed partition `partition`. */
export function blobFileKey(prefix: string, partition: number, result: ResultRecord): string {
  if (result.kind === 'final') return `${prefix}/${result.end}/${partition}-final.ndjson`;
  // Non-final ids end with `@<keyed topic>/<partition>/<offset>`: the hand-back's position.
  const at = result.id.slice(result.id.lastIndexOf('/') + 1);
  return `${prefix}/${result.end}/${partition}-${result.kind}-${at}.ndjson`;
}

/** Writes `results` (in output order) as one file per key; resolves when every file is durable. */
export async function writeBlobFiles(blobs: BlobStore, prefix: string, partition: number, results: readonly ResultRecord[]): Promise<string[]> {
  const files = new Map<string, string[]>();
  for (const result of results) {
    const key = blobFileKey(prefix, partition, result);
    let lines = files.get(key);
    if (lines === undefined) files.set(key, (lines = []));
    lines.push(JSON.stringify(result));
  }
  for (const [key, lines] of files) await blobs.put(key, encoder.encode(`${lines.join('\n')}\n`));
  return [...files.keys()];
}
