/** The dataset file format: every level and plane round-trips against a brute-force pyramid; damage is detected, never returned. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bandRange, decodeBand, openDatasetFile } from '../../../src/queries/format/dataset-file-reader.js';
import { bandCount, bandRows, levelCols, levelRows, planeFor, planesAt, tilesAcross, tileWidth, type FileGeometry } from '../../../src/queries/format/layout.js';
import { DatasetFileEncoder } from '../../../src/queries/format/dataset-file-encoder.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { bruteLevel, close, randomGrid, storeGrid } from './grids.js';

/** Reads every tile of a level and plane back into a grid. */
async function readLevel(blobs: MemoryBlobStore, file: Awaited<ReturnType<typeof openDatasetFile>>, i: number, j: number, plane: 'value' | 'max' | 'sum'): Promise<number[][]> {
  const g: FileGeometry = file.geometry;
  const out: number[][] = Array.from({ length: levelRows(g, i) }, () => new Array<number>(levelCols(g, j)).fill(NaN));
  for (let b = 0; b < bandCount(g, i); b++) {
    const across = tilesAcross(g, j);
    const range = bandRange(file, i, j, plane, b, 0, across);
    const tiles = decodeBand(await blobs.getRange(file.ref, range.offset, range.length), g, i, j, b, 0, across, file.ref.key);
    tiles.forEach((tile, c) => {
      const width = tileWidth(g, j, c);
      for (let r = 0; r < bandRows(g, i, b); r++) {
        for (let k = 0; k < width; k++) out[b * g.tileRows + r]![c * g.tileCols + k] = tile[r * width + k]!;
      }
    });
  }
  return out;
}

describe('dataset file', () => {
  it('stores every level (i, j) with max and sum planes equal to a brute-force pyramid of the raw grid', async () => {
    const blobs = new MemoryBlobStore();
    const grid = randomGrid(150, 300, 7);
    const ref = await storeGrid(blobs, 'd/f.mrt', grid, 16, 32);
    const file = await openDatasetFile(blobs, ref);
    assert.deepEqual(file.geometry, { scans: 150, bins: 300, tileRows: 16, tileCols: 32, levelsRt: 4, levelsMz: 3 });
    assert.deepEqual([...file.rt], [...grid.rt]);
    assert.equal(file.mzLo, 100);
    assert.equal(file.mzStep, 0.25);
    for (let i = 0; i < file.geometry.levelsRt; i++) {
      for (let j = 0; j < file.geometry.levelsMz; j++) {
        assert.deepEqual(planesAt(i, j), i === 0 && j === 0 ? ['value'] : ['max', 'sum']);
        for (const how of ['max', 'sum'] as const) {
          const stored = await readLevel(blobs, file, i, j, planeFor(i, j, how));
          const expected = bruteLevel(grid, i, j, how);
          assert.equal(stored.length, expected.length);
          for (let r = 0; r < expected.length; r++) {
            for (let c = 0; c < expected[r]!.length; c++) {
              const ok = how === 'max' ? stored[r]![c] === Math.fround(expected[r]![c]!) : close(stored[r]![c]!, expected[r]![c]!);
              assert.ok(ok, `level (${i}, ${j}) ${how} cell (${r}, ${c}): stored ${stored[r]![c]}, expected ${expected[r]![c]}`);
            }
          }
        }
      }
    }
  });

  it('keeps retention-time levels of at least tileRows rows and m/z levels of at least 64 columns', async () => {
    const blobs = new MemoryBlobStore();
    const small = await openDatasetFile(blobs, await storeGrid(blobs, 'd/small.mrt', randomGrid(5, 10), 16, 32));
    assert.deepEqual([small.geometry.levelsRt, small.geometry.levelsMz], [1, 1]);
    const wide = await openDatasetFile(blobs, await storeGrid(blobs, 'd/wide.mrt', randomGrid(64, 1000), 16, 32));
    assert.deepEqual([wide.geometry.levelsRt, wide.geometry.levelsMz], [3, 4]); // 64 → 32 → 16 rows; 1000 → 500 → 250 → 125 columns
    assert.ok(wide.rtGaps[0]! > 0 && wide.rtGaps[1]! >= wide.rtGaps[0]! && wide.rtGaps[2]! >= wide.rtGaps[1]!);
  });

  it('fails a damaged tile with STORAGE_CORRUPT naming the file and tile, and a damaged meta section on open', async () => {
    const blobs = new MemoryBlobStore();
    const ref = await storeGrid(blobs, 'd/f.mrt', randomGrid(40, 70), 16, 32);
    const file = await openDatasetFile(blobs, ref);
    const range = bandRange(file, 0, 0, 'value', 1, 0, 3);
    blobs.damage('d/f.mrt', range.offset + 4 + 32 * 16 * 4 + 4 + 100); // inside the second tile's cells
    const bytes = await blobs.getRange(ref, range.offset, range.length);
    assert.throws(() => decodeBand(bytes, file.geometry, 0, 0, 1, 0, 3, ref.key), { code: 'STORAGE_CORRUPT', message: /d\/f\.mrt: tile \(band 1, column 1\) of level \(0, 0\) fails its CRC32/ });
    // The other tiles of the file still read.
    const other = bandRange(file, 0, 0, 'value', 0, 0, 3);
    assert.equal(decodeBand(await blobs.getRange(ref, other.offset, other.length), file.geometry, 0, 0, 0, 0, 3, ref.key).length, 3);

    blobs.damage('d/f.mrt', ref.size - 32 - 10); // inside the meta section
    await assert.rejects(openDatasetFile(blobs, ref), { code: 'STORAGE_CORRUPT', message: /meta section fails its CRC32/ });
  });

  it('refuses what is not a dataset file, and truncated files', async () => {
    const blobs = new MemoryBlobStore();
    const junk = await blobs.put('d/junk', new Uint8Array(500).fill(7));
    await assert.rejects(openDatasetFile(blobs, junk), { code: 'STORAGE_CORRUPT', message: /not a dataset file/ });
    const tiny = await blobs.put('d/tiny', new Uint8Array(10));
    await assert.rejects(openDatasetFile(blobs, tiny), { code: 'STORAGE_CORRUPT', message: /too small/ });
  });

  it('refuses bad scans with the scan and bin named', () => {
    const encoder = new DatasetFileEncoder({ bins: 4, mzLo: 0, mzStep: 1 });
    encoder.start();
    assert.throws(() => encoder.push({ rt: 1, cells: new Float32Array(3) }), { code: 'CONFIG_INVALID', message: /scan 0 has 3 cells; the file has 4 bins/ });
    assert.throws(() => encoder.push({ rt: 1, cells: Float32Array.of(0, 1, -2, 0) }), { message: /scan 0, bin 2: intensity -2 must be finite and ≥ 0/ });
    encoder.push({ rt: 5, cells: new Float32Array(4) });
    assert.throws(() => encoder.push({ rt: 4, cells: new Float32Array(4) }), { message: /scan 1: retention time 4 must be finite and not before/ });
    assert.throws(() => new DatasetFileEncoder({ bins: 4, mzLo: 0, mzStep: 0 }), { message: /mzStep must be a positive number/ });
    assert.throws(() => new DatasetFileEncoder({ bins: 4, mzLo: 0, mzStep: 1 }).finish(), { message: /at least one scan/ });
  });
});
