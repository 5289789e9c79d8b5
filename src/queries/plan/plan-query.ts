/**
 * @module queries/plan/plan-query
 * The planner: turns a normalised query and its opened files into strips.
 *
 * ```
 *  slots along RT   0 ─────────────── n
 *  strips           [ strip 0 ][ strip 1 ][ strip 2 ]       cut at band edges where possible
 *  file A rows      ▤▤▤▤▤▤▤▤▤▤▤│▤▤▤▤▤▤▤▤▤▤│▤▤▤▤▤▤▤▤▤▤       each strip: per file, whole bands
 *  file B rows      ▥▥▥▥▥▥▥▥▥▥▥▥│▥▥▥▥▥▥▥▥▥│▥▥▥▥▥▥▥▥▥        and the tile columns the m/z
 *                                                           bounds touch: one range per band
 * ```
 *
 * Strips are cut along retention time because a band's tiles lie side by
 * side on disk: a strip reads one contiguous range per band and file.
 * Their number follows the bytes to read (about `targetStripBytes` each),
 * with at least two bands per strip so that the band a cut falls in (read
 * by both neighbours) stays a small share of the reads.
 */
import type { DatasetFile } from '../format/dataset-file-reader.js';
import { bandRange } from '../format/dataset-file-reader.js';
import { levelCols, levelRows, planeFor } from '../format/layout.js';
import { MAX_GRID_MESSAGE_BYTES } from '../query/float32-bytes.js';
import { chooseLevel, colRange, mzEdge, rowRange, rtEdge, slotCounts, slotOf } from '../query/binning.js';
import type { AxisSlots, LevelChoice, NormalisedQuery } from '../query/query-types.js';
import type { StripFile, StripTask } from './strip-task.js';

export interface PlanOptions {
  queryId: string;
  deadlineAt: number;
  /** @defaultValue 4 MiB */
  targetStripBytes?: number;
  /** @defaultValue 64 */
  maxStrips?: number;
  /** Largest strip answer in bytes; wider strips are cut, whatever `maxStrips` says, so a tall image over few bands still travels. @defaultValue {@link MAX_GRID_MESSAGE_BYTES} */
  maxStripAnswerBytes?: number;
  /** Forces a level (clamped to each file's levels): for checks against brute force. @defaultValue the level rule */
  level?: { rt: number; mz: number };
}

export interface QueryPlan {
  rt: AxisSlots;
  mz: AxisSlots;
  levels: LevelChoice[];
  /** Strips with at least one file part, and where each begins along RT. */
  strips: StripTask[];
  stripStarts: number[];
  bytes: number;
  ranges: number;
}

/** What the planner works out per file before cutting strips. */
interface FilePlan {
  file: DatasetFile;
  i: number;
  j: number;
  /** Rows [r0, r1) in bounds, and the RT slot of each. */
  r0: number;
  slots: Int32Array;
  c0: number;
  c1: number;
  /** m/z slot of each column in [c0, c1). */
  colSlots: Int32Array;
}

export const DEFAULT_TARGET_STRIP_BYTES = 4 * 1024 * 1024;

/** Plans a query over `files`, given in the order of `query.files`. */
export function planQuery(query: NormalisedQuery, files: readonly DatasetFile[], options: PlanOptions): QueryPlan {
  const { rt: nRt, mz: nMz } = slotCounts(files, query, query.width, query.height);
  const rt: AxisSlots = { min: query.rtMin, max: query.rtMax, n: nRt };
  const mz: AxisSlots = { min: query.mzMin, max: query.mzMax, n: nMz };
  const plans = files.map((file) => planFile(file, rt, mz, options.level));
  const levels = plans.map((p, k) => ({ file: query.files[k]!, rt: p.i, mz: p.j }));
  const cuts = cutStrips(plans, nRt, nMz, options);
  const strips: StripTask[] = [];
  const stripStarts: number[] = [];
  let bytes = 0;
  let ranges = 0;
  for (let s = 0; s + 1 < cuts.length; s++) {
    const parts = plans.flatMap((p) => stripPart(p, query, cuts[s]!, cuts[s + 1]!) ?? []);
    if (parts.length === 0) continue;
    for (const part of parts) {
      ranges += part.ranges.length;
      for (const [, length] of part.ranges) bytes += length;
    }
    strips.push({
      v: 1, queryId: options.queryId, strip: s, aggregate: query.aggregate, width: cuts[s + 1]! - cuts[s]!, height: nMz,
      deadlineAt: options.deadlineAt, fileCount: files.length, files: parts,
    });
    stripStarts.push(cuts[s]!);
  }
  return { rt, mz, levels, strips, stripStarts, bytes, ranges };
}

function planFile(file: DatasetFile, rt: AxisSlots, mz: AxisSlots, forced?: { rt: number; mz: number }): FilePlan {
  const chosen = forced === undefined
    ? chooseLevel(file, rt, mz)
    : { i: Math.min(forced.rt, file.geometry.levelsRt - 1), j: Math.min(forced.mz, file.geometry.levelsMz - 1) };
  const { i, j } = chosen;
  const [r0, r1] = rowRange(file, i, rt.min, rt.max);
  const slots = new Int32Array(r1 - r0);
  for (let r = r0; r < r1; r++) slots[r - r0] = slotOf(rtEdge(file, i, r), rt);
  const [c0, c1] = colRange(file, j, mz.min, mz.max);
  const colSlots = new Int32Array(c1 - c0);
  for (let c = c0; c < c1; c++) colSlots[c - c0] = slotOf(mzEdge(file, j, c), mz);
  return { file, i, j, r0, slots, c0, c1, colSlots };
}

/** Strip boundaries in RT slots, from 0 to n. */
function cutStrips(plans: readonly FilePlan[], n: number, mzSlots: number, options: PlanOptions): number[] {
  const bandBytes = (p: FilePlan): number => p.slots.length * Math.max(0, p.c1 - p.c0) * 4;
  const total = plans.reduce((sum, p) => sum + bandBytes(p), 0);
  const widest = plans.reduce((best, p) => (p.slots.length > best.slots.length ? p : best), plans[0]!);
  const bands = Math.ceil(widest.slots.length / widest.file.geometry.tileRows);
  const wanted = Math.ceil(total / (options.targetStripBytes ?? DEFAULT_TARGET_STRIP_BYTES));
  const k = Math.max(1, Math.min(wanted, options.maxStrips ?? 64, n, Math.floor(bands / 2)));
  const cuts = [0];
  for (let q = 1; q < k; q++) {
    // Aim for an equal share of slots, then move to where a band of the widest file starts, so its bands split cleanly.
    const target = Math.round((q * n) / k);
    const firstRow = lowerBound(widest.slots, target);
    const T = widest.file.geometry.tileRows;
    const bandEdge = Math.round((widest.r0 + firstRow) / T) * T - widest.r0;
    const cut = bandEdge > 0 && bandEdge < widest.slots.length ? widest.slots[bandEdge]! : target;
    if (cut > cuts.at(-1)! && cut < n) cuts.push(cut);
  }
  cuts.push(n);
  return splitWide(cuts, Math.max(1, Math.floor((options.maxStripAnswerBytes ?? MAX_GRID_MESSAGE_BYTES) / (mzSlots * 4))));
}

/** Cuts strips wider than `maxWidth` slots into equal pieces: an answer must fit in a message, whatever the bands say. */
function splitWide(cuts: readonly number[], maxWidth: number): number[] {
  const out = [cuts[0]!];
  for (const end of cuts.slice(1)) {
    const start = out.at(-1)!;
    const pieces = Math.ceil((end - start) / maxWidth);
    for (let p = 1; p < pieces; p++) out.push(start + Math.round((p * (end - start)) / pieces));
    out.push(end);
  }
  return out;
}

/** A file's part of strip [s0, s1): whole bands over the rows in those slots, or nothing when it has none. */
function stripPart(p: FilePlan, query: NormalisedQuery, s0: number, s1: number): StripFile | undefined {
  const ra = p.r0 + lowerBound(p.slots, s0);
  const rb = p.r0 + lowerBound(p.slots, s1);
  if (ra >= rb || p.c0 >= p.c1) return undefined;
  const g = p.file.geometry;
  const T = g.tileRows;
  const b0 = Math.floor(ra / T);
  const b1 = Math.ceil(rb / T);
  const tc0 = Math.floor(p.c0 / g.tileCols);
  const tc1 = Math.ceil(p.c1 / g.tileCols);
  const plane = planeFor(p.i, p.j, query.aggregate === 'max' ? 'max' : 'sum');
  const ranges: Array<[number, number]> = [];
  for (let b = b0; b < b1; b++) {
    const range = bandRange(p.file, p.i, p.j, plane, b, tc0, tc1);
    ranges.push([range.offset, range.length]);
  }
  const rowSlots: number[] = [];
  for (let r = b0 * T; r < Math.min(b1 * T, levelRows(g, p.i)); r++) rowSlots.push(r >= ra && r < rb ? p.slots[r - p.r0]! - s0 : -1);
  const colSlots: number[] = [];
  for (let c = tc0 * g.tileCols; c < Math.min(tc1 * g.tileCols, levelCols(g, p.j)); c++) colSlots.push(c >= p.c0 && c < p.c1 ? p.colSlots[c - p.c0]! : -1);
  return { ref: p.file.ref, geometry: g, i: p.i, j: p.j, plane, b0, b1, c0: tc0, c1: tc1, ranges, rowSlots, colSlots };
}

/** First index k with values[k] ≥ v (values non-decreasing). */
function lowerBound(values: Int32Array, v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
