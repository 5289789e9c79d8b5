/**
 * @module queries/plan/strip-task
 * A subtask: one strip of a query's retention-time slots, over every file
 * of the query. Strips never share a slot, so a strip's result is final
 * for its slots (per-file maxima and means need all of a slot's cells at
 * once); the gatherer only copies strips into place.
 *
 * The planner resolves everything a worker needs (byte ranges, which slot
 * each row and column goes to), so a worker opens no index and makes no
 * decision: it reads, verifies, aggregates. A strip crosses the task queue
 * as JSON and is checked on arrival like any message.
 */
import type { BlobRef } from '../../ports/blob-store.js';
import type { FileGeometry } from '../format/layout.js';
import type { Plane } from '../format/layout.js';
import type { Aggregate } from '../query/query-types.js';
import { queryError } from '../query-errors.js';

/** Name of strip messages on the task queue, and of the task that computes them. */
export const STRIP_TASK = 'millrace.query.strip';

/** One file's part of a strip. */
export interface StripFile {
  ref: BlobRef;
  geometry: FileGeometry;
  /** Level and stored plane read. */
  i: number;
  j: number;
  plane: Plane;
  /** Bands [b0, b1) and tile columns [c0, c1) read: one range per band. */
  b0: number;
  b1: number;
  c0: number;
  c1: number;
  /** Per band, [offset, length] of its tiles c0..c1 − 1. */
  ranges: Array<[number, number]>;
  /** For each row from b0 · tileRows on: its slot within the strip, or −1. */
  rowSlots: number[];
  /** For each column from c0 · tileCols on: its m/z slot, or −1. */
  colSlots: number[];
}

export interface StripTask {
  /** Format of this message. */
  v: 1;
  queryId: string;
  strip: number;
  aggregate: Aggregate;
  /** Retention-time slots in this strip, and m/z slots of the query. */
  width: number;
  height: number;
  /** Epoch ms after which the answer is worthless: a worker drops it unread. */
  deadlineAt: number;
  /** Files of the whole query: the divisor of the average (a file with no cells in this strip counts as 0). */
  fileCount: number;
  files: StripFile[];
}

/** What a worker answers: the strip's slot values, `height` rows of `width`, as the bytes of float32 little-endian (queues carry bytes as they are). */
export interface StripResult {
  strip: number;
  width: number;
  height: number;
  values: Uint8Array;
  bytesRead: number;
  ranges: number;
}

/** Checks a strip task from the queue. @throws `QUERY_INVALID` (non-retryable) naming the field */
export function parseStripTask(value: unknown): StripTask {
  const bad = (field: string, expected: string): never => {
    throw queryError('QUERY_INVALID', `strip task: ${field} must be ${expected}`, { field });
  };
  const t = value as Record<string, unknown>;
  if (typeof t !== 'object' || t === null) bad('the task', 'an object');
  if (t.v !== 1) bad('v', '1');
  if (typeof t.queryId !== 'string') bad('queryId', 'a string');
  const int = (v: unknown, min: number, max: number, field: string): number => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : bad(field, `an integer from ${min} to ${max}`));
  int(t.strip, 0, 1e6, 'strip');
  const width = int(t.width, 1, 1 << 16, 'width');
  const height = int(t.height, 1, 1 << 16, 'height');
  if (width * height > 1 << 26) bad('width × height', 'at most 2^26 slots');
  if (!['max', 'sum', 'mean'].includes(t.aggregate as string)) bad('aggregate', 'max, sum or mean');
  if (typeof t.deadlineAt !== 'number') bad('deadlineAt', 'a number');
  int(t.fileCount, 1, 10_000, 'fileCount');
  if (!Array.isArray(t.files) || t.files.length === 0 || t.files.length > 10_000) bad('files', 'a non-empty array');
  (t.files as unknown[]).forEach((f, k) => {
    const e = f as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e.ref !== 'object' || e.ref === null || typeof e.geometry !== 'object' || e.geometry === null) bad(`files[${k}]`, 'a file part');
    if (!['value', 'max', 'sum'].includes(e.plane as string)) bad(`files[${k}].plane`, 'value, max or sum');
    for (const field of ['i', 'j', 'b0', 'b1', 'c0', 'c1']) int(e[field], 0, 2 ** 31, `files[${k}].${field}`);
    if (!Array.isArray(e.ranges) || e.ranges.length !== (e.b1 as number) - (e.b0 as number)) bad(`files[${k}].ranges`, 'one [offset, length] per band');
    if (!Array.isArray(e.rowSlots) || !(e.rowSlots as unknown[]).every((s) => Number.isInteger(s) && (s as number) >= -1 && (s as number) < width)) bad(`files[${k}].rowSlots`, `slots from -1 to ${width - 1}`);
    if (!Array.isArray(e.colSlots) || !(e.colSlots as unknown[]).every((s) => Number.isInteger(s) && (s as number) >= -1 && (s as number) < height)) bad(`files[${k}].colSlots`, `slots from -1 to ${height - 1}`);
  });
  return t as unknown as StripTask;
}
