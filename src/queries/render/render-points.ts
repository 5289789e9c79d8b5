/**
 * @module queries/render/render-points
 * Results as numbers: JSON for people and scripts, a compact binary for
 * viewers (a fixed header, then float32 slots; layout in docs/queries.md).
 *
 * Heatmaps give the axes and every slot (`values[m · rt.n + r]`, m/z slot
 * m from the lowest); chromatograms and spectra give X/Y points, X the
 * centre of each slot.
 */
import type { QueryResult } from '../query/query-types.js';

const BINARY_MAGIC = Buffer.from('MRQGRID1', 'latin1');
export const BINARY_HEADER_BYTES = 64;
const KIND_CODES = { heatmap: 0, chromatogram: 1, spectrum: 2 } as const;

/** Centres of an axis' slots. */
function centres(axis: { min: number; max: number; n: number }): number[] {
  const width = (axis.max - axis.min) / axis.n;
  return Array.from({ length: axis.n }, (_, k) => axis.min + (k + 0.5) * width);
}

export function renderJson(result: QueryResult): Buffer {
  const { query, grid, levels } = result;
  const head = { kind: query.kind, dataset: query.dataset, revision: query.revision, files: query.files, aggregate: query.aggregate, levels };
  if (query.kind === 'heatmap') {
    return Buffer.from(JSON.stringify({ ...head, rt: grid.rt, mz: grid.mz, values: Array.from(grid.values) }));
  }
  const axis = query.kind === 'chromatogram' ? grid.rt : grid.mz;
  const window = query.kind === 'chromatogram' ? { mzMin: grid.mz.min, mzMax: grid.mz.max } : { rtMin: grid.rt.min, rtMax: grid.rt.max };
  return Buffer.from(JSON.stringify({ ...head, ...window, x: centres(axis), y: Array.from(grid.values) }));
}

/**
 * ```
 *  0  magic "MRQGRID1"      8  u16 version = 1   10 u16 kind (0 heatmap, 1 chromatogram, 2 spectrum)
 * 12  u32 RT slots         16  u32 m/z slots     20 u32 reserved
 * 24  f64 rtMin  32 f64 rtMax  40 f64 mzMin  48 f64 mzMax  56 8 bytes reserved
 * 64  f32 × RT slots × m/z slots, values[m · rtSlots + r]
 * ```
 */
export function renderBinary(result: QueryResult): Buffer {
  const { grid } = result;
  const out = Buffer.alloc(BINARY_HEADER_BYTES + grid.values.byteLength);
  BINARY_MAGIC.copy(out, 0);
  out.writeUInt16LE(1, 8);
  out.writeUInt16LE(KIND_CODES[result.query.kind], 10);
  out.writeUInt32LE(grid.rt.n, 12);
  out.writeUInt32LE(grid.mz.n, 16);
  out.writeDoubleLE(grid.rt.min, 24);
  out.writeDoubleLE(grid.rt.max, 32);
  out.writeDoubleLE(grid.mz.min, 40);
  out.writeDoubleLE(grid.mz.max, 48);
  Buffer.from(grid.values.buffer, grid.values.byteOffset, grid.values.byteLength).copy(out, BINARY_HEADER_BYTES);
  return out;
}
