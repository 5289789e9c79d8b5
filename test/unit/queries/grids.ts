/** Small raw grids for tests, and the brute-force pyramid computed from them directly. */
import { DatasetFileEncoder, type ScanRow } from '../../../src/queries/format/dataset-file-encoder.js';
import type { BlobRef, BlobStore } from '../../../src/ports/blob-store.js';

/** A raw grid: scans × bins, and the retention time of each scan. */
export interface RawGrid {
  rt: Float64Array;
  rows: Float32Array[];
  mzLo: number;
  mzStep: number;
}

/** A reproducible grid with a few large values, many zeros and irregular scan times. */
export function randomGrid(scans: number, bins: number, seed = 1): RawGrid {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 2 ** 32;
  };
  const rt = new Float64Array(scans);
  const rows: Float32Array[] = [];
  let t = 10;
  for (let s = 0; s < scans; s++) {
    t += 0.5 + next();
    rt[s] = t;
    const row = new Float32Array(bins);
    for (let b = 0; b < bins; b++) {
      const u = next();
      row[b] = u < 0.5 ? 0 : u < 0.98 ? Math.fround(next() * 10) : Math.fround(1000 + next() * 1e6);
    }
    rows.push(row);
  }
  return { rt, rows, mzLo: 100, mzStep: 0.25 };
}

/** Encodes a grid into bytes (in memory). */
export function encodeGrid(grid: RawGrid, tileRows: number, tileCols: number): Uint8Array {
  const encoder = new DatasetFileEncoder({ bins: grid.rows[0]!.length, mzLo: grid.mzLo, mzStep: grid.mzStep, tileRows, tileCols });
  const chunks = [encoder.start()];
  for (let s = 0; s < grid.rows.length; s++) chunks.push(...encoder.push({ rt: grid.rt[s]!, cells: grid.rows[s]! } satisfies ScanRow));
  chunks.push(...encoder.finish().chunks);
  return Buffer.concat(chunks);
}

export async function storeGrid(blobs: BlobStore, key: string, grid: RawGrid, tileRows = 16, tileCols = 32): Promise<BlobRef> {
  return blobs.put(key, encodeGrid(grid, tileRows, tileCols));
}

/** Level (i, j) computed from the raw grid by brute force: max or sum over each block of base cells. */
export function bruteLevel(grid: RawGrid, i: number, j: number, how: 'max' | 'sum'): number[][] {
  const scans = grid.rows.length;
  const bins = grid.rows[0]!.length;
  const out: number[][] = [];
  for (let r = 0; r * 2 ** i < scans; r++) {
    const row: number[] = [];
    for (let c = 0; c * 2 ** j < bins; c++) {
      let acc = how === 'max' ? -Infinity : 0;
      for (let s = r * 2 ** i; s < Math.min(scans, (r + 1) * 2 ** i); s++) {
        for (let b = c * 2 ** j; b < Math.min(bins, (c + 1) * 2 ** j); b++) {
          const v = grid.rows[s]![b]!;
          acc = how === 'max' ? Math.max(acc, v) : acc + v;
        }
      }
      row.push(acc);
    }
    out.push(row);
  }
  return out;
}

/** |a − b| within a relative tolerance (float32 storage of sums). */
export function close(a: number, b: number, relative = 1e-5): boolean {
  return Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
}
