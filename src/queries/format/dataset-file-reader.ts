/**
 * @module queries/format/dataset-file-reader
 * Opens a dataset file with ranged reads only (the tail: trailer and meta
 * section), and locates and decodes the tiles a view needs. Nothing here
 * reads a whole file: a 4 GB file opens with one or two reads of a few
 * tens of kilobytes.
 */
import type { BlobRef, BlobStore } from '../../ports/blob-store.js';
import { storageCorrupt } from '../query-errors.js';
import { TRAILER_BYTES, assertHeader, decodeMeta, decodeTrailer, HEADER_BYTES, type FileMeta } from './file-format.js';
import {
  bandCount, bandRecordBytes, bandRows, bandSlot, levelRows, planesAt, tileBytes, tileOffsetInBand, tileWidth, type FileGeometry, type Plane,
} from './layout.js';
import { aligned, readTile } from './tile-codec.js';

/** An opened file: its meta section and what the planner derives from it once. */
export interface DatasetFile extends FileMeta {
  ref: BlobRef;
  /**
   * Per retention-time level, the largest gap between the retention times
   * that stand for consecutive rows (the first scan of each row); 0 for a
   * level of one row. The planner picks levels with it.
   */
  rtGaps: number[];
}

/** How much of the tail to read at once: trailer and, usually, the whole meta section. */
const TAIL_READ_BYTES = 64 * 1024;

/**
 * Reads and verifies a file's trailer and meta section.
 * @throws `STORAGE_CORRUPT` when either is damaged or the file is not a dataset file
 */
export async function openDatasetFile(blobs: BlobStore, ref: BlobRef): Promise<DatasetFile> {
  if (ref.size < HEADER_BYTES + TRAILER_BYTES) throw storageCorrupt(`${ref.key} is ${ref.size} bytes: too small for a dataset file`, { key: ref.key });
  const tailLength = Math.min(ref.size, TAIL_READ_BYTES);
  const tail = await blobs.getRange(ref, ref.size - tailLength, tailLength);
  const trailer = decodeTrailer(tail.subarray(tail.length - TRAILER_BYTES), ref.size, ref.key);
  const tailStart = ref.size - tailLength;
  const metaBytes = trailer.metaOffset >= tailStart
    ? tail.subarray(trailer.metaOffset - tailStart, trailer.metaOffset - tailStart + trailer.metaLength)
    : await blobs.getRange(ref, trailer.metaOffset, trailer.metaLength);
  if (tailStart === 0) assertHeader(tail.subarray(0, HEADER_BYTES), ref.key);
  const meta = decodeMeta(metaBytes, trailer.metaCrc, trailer.metaOffset, ref.key);
  checkBandOffsets(meta, trailer.metaOffset, ref.key);
  return { ...meta, ref, rtGaps: rtGapsOf(meta) };
}

/** A contiguous range holding tiles [c0, c1) of one band record. */
export interface BandRange {
  offset: number;
  length: number;
}

/** The byte range of tiles [c0, c1) of band b of level (i, j), plane `plane`. */
export function bandRange(file: FileMeta, i: number, j: number, plane: Plane, b: number, c0: number, c1: number): BandRange {
  const g = file.geometry;
  const record = file.bandOffsets[bandSlot(g, i, j, plane, b)]!;
  const rows = bandRows(g, i, b);
  const start = tileOffsetInBand(g, i, b, c0);
  const end = tileOffsetInBand(g, i, b, c1 - 1) + tileBytes(rows, tileWidth(g, j, c1 - 1));
  return { offset: record + start, length: end - start };
}

/**
 * The tiles [c0, c1) of a band, verified, from the bytes of its
 * {@link bandRange}. Tile k of the result is tile c0 + k: `rows` × its width.
 * @throws `STORAGE_CORRUPT` naming the file and tile
 */
export function decodeBand(bytes: Uint8Array, geometry: FileGeometry, i: number, j: number, b: number, c0: number, c1: number, key: string): Float32Array[] {
  const data = aligned(bytes);
  const rows = bandRows(geometry, i, b);
  const base = tileOffsetInBand(geometry, i, b, c0);
  const tiles: Float32Array[] = [];
  for (let c = c0; c < c1; c++) {
    tiles.push(readTile(data, {
      at: tileOffsetInBand(geometry, i, b, c) - base,
      rows,
      cols: tileWidth(geometry, j, c),
      describe: () => `${key}: tile (band ${b}, column ${c}) of level (${i}, ${j})`,
    }));
  }
  return tiles;
}

/** Every band record must lie inside the data section and not overlap the next one written. */
function checkBandOffsets(meta: FileMeta, metaOffset: number, key: string): void {
  const g = meta.geometry;
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < g.levelsRt; i++) {
    for (let j = 0; j < g.levelsMz; j++) {
      for (const plane of planesAt(i, j)) {
        for (let b = 0; b < bandCount(g, i); b++) {
          const at = meta.bandOffsets[bandSlot(g, i, j, plane, b)]!;
          spans.push([at, at + bandRecordBytes(g, i, j, b)]);
        }
      }
    }
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let k = 0; k < spans.length; k++) {
    const [start, end] = spans[k]!;
    if (end > metaOffset || (k > 0 && start < spans[k - 1]![1])) throw storageCorrupt(`${key}: the band offset table is inconsistent (records overlap or run past the data)`, { key });
  }
}

function rtGapsOf(meta: FileMeta): number[] {
  const gaps: number[] = [];
  for (let i = 0; i < meta.geometry.levelsRt; i++) {
    const rows = levelRows(meta.geometry, i);
    const step = 2 ** i;
    let gap = 0;
    for (let r = 1; r < rows; r++) gap = Math.max(gap, meta.rt[r * step]! - meta.rt[(r - 1) * step]!);
    gaps.push(gap);
  }
  return gaps;
}
