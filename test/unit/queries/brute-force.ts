/**
 * The reference answers: queries computed by brute force over the raw
 * arrays of each file (every base cell visited, no tiles, no pyramid),
 * with the binning rule of docs/queries.md written out again here.
 */
import type { Aggregate, AxisSlots } from '../../../src/queries/query/query-types.js';
import { SyntheticRun } from '../../../src/queries/generate/synthetic-run.js';
import type { DatasetFileEntry } from '../../../src/queries/dataset/manifest.js';

/** One file's raw arrays: a dense base grid. */
export interface RawFile {
  rt: Float64Array;
  rows: Float32Array[];
  mzLo: number;
  mzStep: number;
}

/** Regenerates a synthetic file's raw scans from its seed. */
export function rawSynthetic(entry: DatasetFileEntry): RawFile {
  if (entry.source.kind !== 'synthetic') throw new Error('not a synthetic file');
  const run = new SyntheticRun({ seed: entry.source.seed, scans: entry.scans, bins: entry.bins });
  const rt = new Float64Array(entry.scans);
  const rows: Float32Array[] = [];
  for (let s = 0; s < entry.scans; s++) {
    const scan = run.scan(s);
    rt[s] = scan.rt;
    rows.push(scan.cells);
  }
  return { rt, rows, mzLo: run.mzLo, mzStep: run.mzStep };
}

/**
 * The answer for files at the given levels: a cell of level (i, j) is in a
 * slot when its lower edge (first scan's RT, first bin's m/z) is; a slot
 * aggregates the base cells under it; files are averaged.
 */
export function bruteForce(files: readonly RawFile[], levels: ReadonlyArray<{ rt: number; mz: number }>, rtAxis: AxisSlots, mzAxis: AxisSlots, aggregate: Aggregate): Float64Array {
  const out = new Float64Array(rtAxis.n * mzAxis.n);
  const slot = (v: number, axis: AxisSlots): number => (v >= axis.min && v < axis.max ? Math.min(axis.n - 1, Math.floor(((v - axis.min) / (axis.max - axis.min)) * axis.n)) : -1);
  files.forEach((file, f) => {
    const { rt: i, mz: j } = levels[f]!;
    const acc = new Float64Array(out.length);
    const count = new Float64Array(out.length);
    const mzSlots = new Int32Array(file.rows[0]!.length);
    for (let b = 0; b < mzSlots.length; b++) mzSlots[b] = slot(file.mzLo + Math.floor(b / 2 ** j) * 2 ** j * file.mzStep, mzAxis);
    for (let s = 0; s < file.rows.length; s++) {
      const rs = slot(file.rt[Math.floor(s / 2 ** i) * 2 ** i]!, rtAxis);
      if (rs < 0) continue;
      const row = file.rows[s]!;
      for (let b = 0; b < row.length; b++) {
        if (mzSlots[b]! < 0) continue;
        const at = mzSlots[b]! * rtAxis.n + rs;
        const v = row[b]!;
        if (aggregate === 'max') acc[at] = Math.max(acc[at]!, v);
        else acc[at] = acc[at]! + v;
        count[at] = count[at]! + 1;
      }
    }
    for (let k = 0; k < out.length; k++) out[k] = out[k]! + (aggregate === 'mean' ? (count[k]! > 0 ? acc[k]! / count[k]! : 0) : acc[k]!);
  });
  return out.map((v) => v / files.length);
}

/** Asserts every slot equal within a relative tolerance (float32 storage and transport). */
export function assertGridsClose(actual: Float32Array, expected: Float64Array, label: string, relative = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} slots, expected ${expected.length}`);
  let nonZero = 0;
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!;
    const e = expected[k]!;
    if (e !== 0) nonZero++;
    if (Math.abs(a - e) > relative * Math.max(1, Math.abs(e))) throw new Error(`${label}: slot ${k} is ${a}, brute force says ${e}`);
  }
  if (nonZero === 0) throw new Error(`${label}: the expected grid is all zeros; the check would prove nothing`);
}
