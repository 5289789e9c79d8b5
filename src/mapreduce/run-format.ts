/**
 * @module mapreduce/run-format
 * The bytes between map and reduce, and after reduce.
 *
 * A map task writes its emitted pairs as one or more *runs* (one per spill,
 * usually one). A run is a single blob holding all R partitions back to
 * back; the task returns where each partition starts and its SHA-256:
 *
 * ```
 *  run blob   [ partition 0 ][ partition 1 ] … [ partition R-1 ]
 *  bounds     0              b1              b2 …              size
 *  partition  "key-a"\t[1,1,3]\n"key-b"\t[7]\n …   one line per key
 * ```
 *
 * A large run is sorted by key within each partition, so a reducer can
 * stream it; a small one (the usual run after a combiner) is written in
 * first-emit order, because the reducer merges small partitions in a hash
 * map and sorting each split's keys — all the pages of a site, in every
 * split — cost 8 % of page-hits' map time. A reducer that must stream sorts
 * a small run first (it is small). `sorted` in the ref says which.
 *
 * One blob per run rather than one per partition: R × M small blobs would
 * cost R × M durable writes (an fsync each on the file store, a request
 * each on S3) for what is often a few kilobytes each; a reducer reads its
 * slice with `getRange`. A ranged read cannot be checked against the blob's
 * hash, so each partition carries its own, verified when the reducer has
 * read it — before the reducer's output is published.
 *
 * Lines are JSON text: a JSON string never holds a raw tab or newline, so
 * `\t` and `\n` delimit without escaping, and any JSON value travels. Keys
 * sort by UTF-16 code units (JavaScript's `<`), the same in every process,
 * which is all merging needs. Reduce output blobs use the same layout with
 * one value instead of an array: `"key"\tvalue\n`.
 */
import { createHash } from 'node:crypto';
import { MillraceError } from '../core/errors.js';
import { hashKey } from '../core/ids.js';
import type { BlobRef, BlobStore } from '../ports/blob-store.js';
import { eachLine } from './line-decoder.js';

/** A run as its map task reports it. */
export interface RunRef {
  ref: BlobRef;
  /** R + 1 offsets: partition p is bytes `bounds[p]` to `bounds[p + 1]`. */
  bounds: number[];
  /** SHA-256 of each partition's bytes (`''` for an empty one). */
  sha256: string[];
  /** Keys ascend within each partition. */
  sorted: boolean;
}

/** A byte range of a blob with its own hash: one partition of one run, or a whole output. */
export interface Segment {
  ref: BlobRef;
  offset: number;
  length: number;
  sha256: string;
  /** Keys ascend (checked as it is read). */
  sorted: boolean;
}

/** The partition of a key: a stable FNV-1a hash, so every map task and every retry agrees. */
export function partitionOf(key: string, partitions: number): number {
  return hashKey(key) % partitions;
}

/** Text is turned into bytes and hashed in pieces of about this many characters. */
const PIECE_CHARS = 256 * 1024;

/** A run whose entries are estimated at this many bytes or more is sorted (see the module comment). */
export const SORTED_RUN_BYTES = 4 * 1024 * 1024;

/**
 * Encodes buffered entries as a run: grouped by partition, sorted by key if
 * `run.sorted`, one line each. `line(key)` gives the text after the tab
 * (values JSON). Yields the bytes for `BlobStore.put` and fills `bounds`
 * and `sha256` as it goes, so they are complete once the put has consumed it.
 */
export function* encodeRun(keys: Iterable<string>, partitions: number, line: (key: string) => string, run: Omit<RunRef, 'ref'>): Generator<Buffer> {
  const groups: string[][] = Array.from({ length: partitions }, () => []);
  for (const key of keys) groups[partitionOf(key, partitions)]!.push(key);
  let offset = 0;
  run.bounds.push(0);
  for (const group of groups) {
    if (run.sorted) group.sort();
    const hash = createHash('sha256');
    let text = '';
    for (const key of group) {
      text += `${JSON.stringify(key)}\t${line(key)}\n`;
      if (text.length < PIECE_CHARS) continue;
      const bytes = Buffer.from(text, 'utf8');
      hash.update(bytes);
      offset += bytes.length;
      text = '';
      yield bytes;
    }
    if (text.length > 0) {
      const bytes = Buffer.from(text, 'utf8');
      hash.update(bytes);
      offset += bytes.length;
      yield bytes;
    }
    run.bounds.push(offset);
    run.sha256.push(group.length === 0 ? '' : hash.digest('hex'));
  }
}

/** The non-empty segments of partition `partition` across runs, in the order given. */
export function segmentsOf(runs: readonly RunRef[], partition: number): Segment[] {
  const segments: Segment[] = [];
  for (const run of runs) {
    const offset = run.bounds[partition]!;
    const length = run.bounds[partition + 1]! - offset;
    if (length > 0) segments.push({ ref: run.ref, offset, length, sha256: run.sha256[partition]!, sorted: run.sorted });
  }
  return segments;
}

/** A whole sorted blob (a reduce output) as a segment. */
export function wholeBlob(ref: BlobRef): Segment {
  return { ref, offset: 0, length: ref.size, sha256: ref.sha256, sorted: true };
}

/** One line: a key and the JSON text after its tab. */
export interface Entry {
  key: string;
  json: string;
}

/**
 * Reads a segment in chunks of `chunkBytes` and yields its entries in
 * batches, checking that keys ascend (in a sorted segment) and, at the end,
 * the segment's hash.
 * @throws `BLOB_HASH_MISMATCH` when the bytes do not match; `STORAGE_CORRUPT` for a line that is not an entry
 */
export async function* readEntries(blobs: BlobStore, segment: Segment, chunkBytes: number, signal?: AbortSignal): AsyncGenerator<Entry[]> {
  const hash = createHash('sha256');
  const end = segment.offset + segment.length;
  const order: EntryOrder = { previous: undefined };
  let carry: Buffer | undefined;
  for (let at = segment.offset; at < end;) {
    signal?.throwIfAborted();
    const chunk = Buffer.from(await blobs.getRange(segment.ref, at, Math.min(chunkBytes, end - at)));
    hash.update(chunk);
    at += chunk.length;
    const bytes = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
    const last = at < end ? bytes.lastIndexOf(10) : bytes.length - 1;
    carry = bytes.subarray(last + 1);
    if (last < 0) continue;
    const entries: Entry[] = [];
    eachEntry(bytes.subarray(0, last + 1), segment, (key, json) => entries.push({ key, json }), order);
    yield entries;
  }
  checkHash(segment, hash.digest('hex'));
}

/** A whole segment in one read, verified against its hash: for segments small enough to hold. */
export async function readSegment(blobs: BlobStore, segment: Segment): Promise<Buffer> {
  const bytes = Buffer.from(await blobs.getRange(segment.ref, segment.offset, segment.length));
  checkHash(segment, createHash('sha256').update(bytes).digest('hex'));
  return bytes;
}

/** Where the last key of a sorted segment was, across calls to {@link eachEntry}. */
export interface EntryOrder {
  previous: string | undefined;
}

/** Calls `visit` with each entry's key and JSON text, checking order in a sorted segment. */
export function eachEntry(bytes: Buffer, segment: Segment, visit: (key: string, json: string) => void, order: EntryOrder = { previous: undefined }): void {
  eachLine(bytes, (line) => {
    const tab = line.indexOf('\t');
    if (tab < 2 || line.charCodeAt(0) !== 34 || line.charCodeAt(tab - 1) !== 34) throw corrupt(segment, `a line is not "key"<tab>value: ${JSON.stringify(line.slice(0, 80))}`);
    const quoted = line.slice(0, tab);
    // Most keys hold no escape: slicing off the quotes is the decoding.
    const key = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
    if (segment.sorted) {
      if (order.previous !== undefined && !(order.previous < key)) throw corrupt(segment, `keys out of order ("${order.previous}" then "${key}")`);
      order.previous = key;
    }
    visit(key, line.slice(tab + 1));
  });
}

function checkHash(segment: Segment, actual: string): void {
  if (actual === segment.sha256) return;
  throw new MillraceError('BLOB_HASH_MISMATCH', `bytes ${segment.offset}–${segment.offset + segment.length} of blob "${segment.ref.key}" do not match their SHA-256`, {
    key: segment.ref.key, check: 'sha256', expected: segment.sha256, actual,
  });
}

/**
 * The pairs of a reduce output, in key order, values decoded.
 *
 * @example
 * ```ts
 * for await (const [page, hits] of readPairs<number>(blobs, ref)) rows.push([page, hits])
 * ```
 */
export async function* readPairs<R = unknown>(blobs: BlobStore, ref: BlobRef, options: { chunkBytes?: number; signal?: AbortSignal } = {}): AsyncGenerator<[string, R]> {
  for await (const entries of readEntries(blobs, wholeBlob(ref), options.chunkBytes ?? 1024 * 1024, options.signal)) {
    for (const entry of entries) yield [entry.key, JSON.parse(entry.json) as R];
  }
}

function corrupt(segment: Segment, problem: string): MillraceError {
  return new MillraceError('STORAGE_CORRUPT', `blob "${segment.ref.key}" (bytes ${segment.offset}–${segment.offset + segment.length}): ${problem}`, { key: segment.ref.key });
}
