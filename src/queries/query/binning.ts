/**
 * @module queries/query/binning
 * The binning rules every query and every check of one share: which cells
 * of a level fall in a query's bounds, which slot each falls in, which
 * level and how many slots a query uses.
 *
 * The level rule: along each axis, the coarsest level whose cells are no
 * wider than a slot (largest gap between consecutive cells ≤ slot width).
 * Then every slot within the data holds at least one cell (no holes in an
 * image), and a slot holds fewer than about two cells per axis, so a view
 * reads less than ~4× the cells it returns. The slot count is capped so
 * that even the base level has a cell in every slot: a view zoomed in past
 * the data's resolution gets fewer slots than pixels (the renderer scales
 * them up) rather than empty stripes.
 */
import { levelCols, levelRows } from '../format/layout.js';
import type { DatasetFile } from '../format/dataset-file-reader.js';
import type { AxisSlots } from './query-types.js';

/** Level choice along an axis of one slot (a chromatogram's m/z, a spectrum's RT) pretends to this many slots, so its edges stay within 1/64 of the window. */
export const MIN_LEVEL_SLOTS = 64;
/** Relative slack in comparisons of widths, for floating-point noise. */
const SLACK = 1 + 1e-9;

/** The slot of value v in [min, max) cut into n slots. Only meaningful for v in [min, max). */
export function slotOf(v: number, axis: AxisSlots): number {
  return Math.min(axis.n - 1, Math.floor(((v - axis.min) / (axis.max - axis.min)) * axis.n));
}

/** m/z of the lower edge of column c of level j. */
export function mzEdge(file: Pick<DatasetFile, 'mzLo' | 'mzStep'>, j: number, c: number): number {
  return file.mzLo + c * 2 ** j * file.mzStep;
}

/** Retention time standing for row r of level i: that of its first scan. */
export function rtEdge(file: Pick<DatasetFile, 'rt'>, i: number, r: number): number {
  return file.rt[r * 2 ** i]!;
}

/** Rows [r0, r1) of level i whose retention time is in [min, max). */
export function rowRange(file: DatasetFile, i: number, min: number, max: number): [number, number] {
  const rows = levelRows(file.geometry, i);
  const lowerBound = (v: number): number => {
    let lo = 0;
    let hi = rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rtEdge(file, i, mid) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [lowerBound(min), lowerBound(max)];
}

/** Columns [c0, c1) of level j whose m/z edge is in [min, max). */
export function colRange(file: DatasetFile, j: number, min: number, max: number): [number, number] {
  const cols = levelCols(file.geometry, j);
  const first = (v: number): number => {
    let c = Math.min(cols, Math.max(0, Math.ceil((v - file.mzLo) / (2 ** j * file.mzStep))));
    while (c < cols && mzEdge(file, j, c) < v) c++;
    while (c > 0 && mzEdge(file, j, c - 1) >= v) c--;
    return c;
  };
  return [first(min), Math.max(first(min), first(max))];
}

/** Slots along each axis: at most the pixels asked for, and no more than the coarsest file's base resolution fills. */
export function slotCounts(files: readonly DatasetFile[], bounds: { rtMin: number; rtMax: number; mzMin: number; mzMax: number }, width: number, height: number): { rt: number; mz: number } {
  const rtGap = Math.max(...files.map((f) => f.rtGaps[0]!));
  const mzGap = Math.max(...files.map((f) => f.mzStep));
  const fit = (range: number, gap: number, asked: number): number => (gap > 0 ? Math.max(1, Math.min(asked, Math.floor((range / gap) * SLACK))) : asked);
  return { rt: fit(bounds.rtMax - bounds.rtMin, rtGap, width), mz: fit(bounds.mzMax - bounds.mzMin, mzGap, height) };
}

/** The level (i, j) a file answers a query with, for the given slots. */
export function chooseLevel(file: DatasetFile, rt: AxisSlots, mz: AxisSlots): { i: number; j: number } {
  const rtWidth = ((rt.max - rt.min) / Math.max(rt.n, MIN_LEVEL_SLOTS)) * SLACK;
  const mzWidth = ((mz.max - mz.min) / Math.max(mz.n, MIN_LEVEL_SLOTS)) * SLACK;
  let i = 0;
  while (i + 1 < file.geometry.levelsRt && file.rtGaps[i + 1]! <= rtWidth) i++;
  let j = 0;
  while (j + 1 < file.geometry.levelsMz && 2 ** (j + 1) * file.mzStep <= mzWidth) j++;
  return { i, j };
}
