/**
 * @module mapreduce/split-reader
 * Reads the records of one split — a byte range of an input blob — in
 * chunks, with bounded memory, aligned to record boundaries the way Hadoop's
 * `LineRecordReader` does:
 *
 * ```
 *  input   …rd\nrecord\nrecord\nreco|rd\nrecord\n…
 *  split        [start ───────────── end)
 *  read          skip ─┘ ◀── owned ──────▶ └─ read past end to finish it
 * ```
 *
 * A record starting at byte p belongs to the split with start < p ≤ end
 * (the first split also owns p = 0). So a split that does not start at 0
 * skips through the first newline at or after `start` — that record belongs
 * to the split before — and every split reads past `end` up to the first
 * newline at or after `end`. Each record is read by exactly one split,
 * whatever the split size; a split inside one long record owns nothing.
 *
 * The blob store verifies whole blobs; a ranged read can only check that
 * the blob still has its recorded size (see `BlobStore.getRange`). Input
 * ranges are therefore not hash-checked, as in Hadoop over plain files.
 */
import { DEFAULT_RANGE_READS, type BlobRef, type BlobStore } from '../ports/blob-store.js';

/** What {@link readSplit} yields. */
export type SplitBlock =
  /** Complete records; the last one lacks its newline only at the end of the input. */
  | { kind: 'records'; bytes: Buffer; offset: number }
  /** A record longer than `maxRecordBytes`, skipped: where it starts and its first bytes. */
  | { kind: 'oversized'; offset: number; head: Buffer };

export interface SplitReadOptions {
  /** Bytes per read. @defaultValue the store's `rangeReads.chunkBytes`, else `DEFAULT_RANGE_READS` (1 MiB) */
  chunkBytes?: number;
  /** A longer record is skipped and reported instead of being held in memory. @defaultValue 16 MiB */
  maxRecordBytes?: number;
  /**
   * Reads in flight ahead of the consumer: while one chunk is mapped, the
   * next ones are on their way, so a read's latency (a disk, a remote store)
   * hides behind the map. @defaultValue the store's `rangeReads.inFlight`, else `DEFAULT_RANGE_READS` (2)
   */
  readAhead?: number;
  signal?: AbortSignal;
}

const NEWLINE = 10;
/** Read this much past a split's end with its last chunk, so the last record usually needs no extra read. */
const OVERSHOOT_BYTES = 16 * 1024;
/** How much of an oversized record is kept for the report. */
const HEAD_BYTES = 200;

/**
 * Yields the records of the split `[start, end)` of `ref` as blocks of
 * complete lines, reading `readAhead` chunks ahead of the consumer.
 *
 * @example
 * ```ts
 * for await (const block of readSplit(blobs, ref, 0, 64 << 20)) if (block.kind === 'records') eachLine(block.bytes, visit)
 * ```
 */
export async function* readSplit(blobs: BlobStore, ref: BlobRef, start: number, end: number, options: SplitReadOptions = {}): AsyncGenerator<SplitBlock> {
  const chunkBytes = options.chunkBytes ?? (blobs.rangeReads ?? DEFAULT_RANGE_READS).chunkBytes;
  const maxRecordBytes = options.maxRecordBytes ?? 16 * 1024 * 1024;
  const size = ref.size;
  let position = start; // next byte to read
  let skipping = start > 0;
  /** Bytes of an unfinished record, from `pendingOffset`. */
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingOffset = start;
  /** Set while discarding the rest of an oversized record. */
  let oversized = false;

  const readAhead = Math.max(1, options.readAhead ?? (blobs.rangeReads ?? DEFAULT_RANGE_READS).inFlight);
  /** Reads in flight, in order: each starts where the one before ends. */
  let ahead: Array<{ length: number; bytes: Promise<Uint8Array> }> = [];
  let nextRead = position;
  const read = (at: number): void => {
    // Whole chunks up to the end, the last stretched a little past it; then small reads to finish the last record.
    const wanted = at < end ? Math.min(chunkBytes, end - at) + (end - at <= chunkBytes ? OVERSHOOT_BYTES : 0) : OVERSHOOT_BYTES;
    const length = Math.min(wanted, size - at);
    const bytes = blobs.getRange(ref, at, length);
    // Awaited later (its error surfaces then); meanwhile a failure must not count as unhandled.
    bytes.catch(() => undefined);
    ahead.push({ length, bytes });
    nextRead = at + length;
  };
  const readOn = (): void => {
    while (ahead.length < readAhead && nextRead < end && nextRead < size) read(nextRead);
  };
  readOn();
  if (ahead.length === 0 && position < size) read(position);
  while (ahead.length > 0) {
    const next = ahead.shift()!;
    const chunk = asBuffer(await next.bytes);
    const chunkStart = position;
    position += chunk.length;
    if (chunk.length !== next.length) {
      // A short read: the reads queued behind it start at the wrong place. Drop them and go on from here.
      ahead = [];
      nextRead = position;
    }
    readOn();
    options.signal?.throwIfAborted();

    let from = 0;
    if (skipping || oversized) {
      // Skip through the first newline: the end of a record the split before owns, or of one too long to keep.
      const newline = chunk.indexOf(NEWLINE);
      // A newline at or after `end` ends the split's last record, so what follows is not ours.
      if (newline < 0 ? position >= end : chunkStart + newline >= end) return;
      if (newline < 0) continue;
      skipping = false;
      oversized = false;
      from = newline + 1;
      pendingOffset = chunkStart + from;
    }
    // The owned region ends at the first newline at or after `end`.
    const searchFrom = Math.max(from, end - chunkStart);
    const stop = searchFrom < chunk.length ? chunk.indexOf(NEWLINE, searchFrom) : -1;
    const last = stop >= 0 ? stop : chunk.lastIndexOf(NEWLINE);
    if (last >= from) {
      if (pendingBytes > 0) {
        // The record begun in an earlier chunk is finished and yielded on its own, so the rest
        // of this chunk goes out as a view, not copied into one buffer with it.
        const newline = chunk.indexOf(NEWLINE, from);
        pending.push(chunk.subarray(from, newline + 1));
        yield { kind: 'records', bytes: Buffer.concat(pending), offset: pendingOffset };
        pending = [];
        pendingBytes = 0;
        from = newline + 1;
        pendingOffset = chunkStart + from;
      }
      if (last >= from) yield { kind: 'records', bytes: chunk.subarray(from, last + 1), offset: pendingOffset };
      if (stop >= 0) return;
      from = last + 1;
      pendingOffset = chunkStart + from;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
      if (pendingBytes > maxRecordBytes) {
        yield { kind: 'oversized', offset: pendingOffset, head: Buffer.concat(pending).subarray(0, HEAD_BYTES) };
        pending = [];
        pendingBytes = 0;
        oversized = true;
      }
    }
    // Past the end with the last record unfinished: keep reading until its newline.
    if (ahead.length === 0 && position < size) read(position);
  }
  // End of input: the last record has no newline.
  if (!skipping && !oversized && pendingBytes > 0) yield { kind: 'records', bytes: Buffer.concat(pending), offset: pendingOffset };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
