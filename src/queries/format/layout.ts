/**
 * @module queries/format/layout
 * The geometry of a dataset file: levels, bands and tiles, as pure
 * functions shared by the writer, the reader and the planner.
 *
 * Glossary:
 * - **cell**: one value of the base grid: one scan (row) × one m/z bin (column).
 * - **level (i, j)**: the grid coarsened 2^i times along retention time and
 *   2^j times along m/z. Level (0, 0) is the base. Every other level stores
 *   two **planes**: the max and the sum of the base cells under each of its
 *   cells; the base stores one (`value`, which is both).
 * - **band**: `tileRows` consecutive rows of one level; the unit of writing.
 * - **tile**: the cells of one band under `tileCols` consecutive columns;
 *   the unit of checksumming. A band's tiles are stored side by side, so the
 *   tiles of a band a view needs are one contiguous byte range.
 *
 * A level exists along retention time when it has at least `tileRows` rows
 * (the base always exists), and along m/z when it has at least
 * {@link MIN_MZ_LEVEL_COLS} columns. Every combination (i, j) is stored, so a
 * view can coarsen each axis independently: that costs about 1 + 2·(4 − 1)
 * ≈ 6–7× the base grid in bytes at most (see docs/queries.md), and buys
 * reads that stay within 4× the cells a view returns, whatever its aspect.
 */
import { MillraceError } from '../../core/errors.js';

/** Which aggregate a stored plane holds. */
export type Plane = 'value' | 'max' | 'sum';

/** The numbers that fix a file's layout. */
export interface FileGeometry {
  /** Rows of the base grid (MS1 scans). */
  scans: number;
  /** Columns of the base grid (m/z bins). */
  bins: number;
  tileRows: number;
  tileCols: number;
  /** Levels along retention time (≥ 1). */
  levelsRt: number;
  /** Levels along m/z (≥ 1). */
  levelsMz: number;
}

/** Coarsest m/z level kept has at least this many columns. */
export const MIN_MZ_LEVEL_COLS = 64;
/** Bytes of the CRC32 in front of every tile. */
export const TILE_CRC_BYTES = 4;
/** Bytes per stored value (float32). */
export const VALUE_BYTES = 4;
/** Limits that keep every offset a safe integer and every tile a sane allocation. */
export const MAX_TILE_ROWS = 4096;
export const MAX_TILE_COLS = 4096;
export const MAX_LEVELS = 40;

/** Rows of level i: the base rows halved i times, rounding up (the last row may cover fewer scans). */
export function levelRows(geometry: Pick<FileGeometry, 'scans'>, i: number): number {
  return Math.ceil(geometry.scans / 2 ** i);
}

/** Columns of level j. */
export function levelCols(geometry: Pick<FileGeometry, 'bins'>, j: number): number {
  return Math.ceil(geometry.bins / 2 ** j);
}

/** Base scans under row r of level i. */
export function rowSpan(geometry: Pick<FileGeometry, 'scans'>, i: number, r: number): number {
  return Math.min((r + 1) * 2 ** i, geometry.scans) - r * 2 ** i;
}

/** Base bins under column c of level j. */
export function colSpan(geometry: Pick<FileGeometry, 'bins'>, j: number, c: number): number {
  return Math.min((c + 1) * 2 ** j, geometry.bins) - c * 2 ** j;
}

/** Levels along m/z for `bins` columns. */
export function mzLevelCount(bins: number): number {
  let levels = 1;
  while (levels < MAX_LEVELS && Math.ceil(bins / 2 ** (levels - 1)) > 1 && Math.ceil(bins / 2 ** levels) >= MIN_MZ_LEVEL_COLS) levels++;
  return levels;
}

/** Levels along retention time for `scans` rows. */
export function rtLevelCount(scans: number, tileRows: number): number {
  let levels = 1;
  while (levels < MAX_LEVELS && Math.ceil(scans / 2 ** (levels - 1)) > 1 && Math.ceil(scans / 2 ** levels) >= tileRows) levels++;
  return levels;
}

/** The planes stored at level (i, j), in file order. */
export function planesAt(i: number, j: number): readonly Plane[] {
  return i === 0 && j === 0 ? ['value'] : ['max', 'sum'];
}

/** The stored plane that answers an aggregate at level (i, j): the base has one for all. */
export function planeFor(i: number, j: number, aggregate: 'max' | 'sum'): Plane {
  return i === 0 && j === 0 ? 'value' : aggregate;
}

export function bandCount(geometry: FileGeometry, i: number): number {
  return Math.ceil(levelRows(geometry, i) / geometry.tileRows);
}

/** Rows in band b of level i (the last band may be short). */
export function bandRows(geometry: FileGeometry, i: number, b: number): number {
  return Math.min(geometry.tileRows, levelRows(geometry, i) - b * geometry.tileRows);
}

/** Tiles side by side in a band of level j. */
export function tilesAcross(geometry: FileGeometry, j: number): number {
  return Math.ceil(levelCols(geometry, j) / geometry.tileCols);
}

/** Columns in tile c of level j (the last tile may be narrow). */
export function tileWidth(geometry: FileGeometry, j: number, c: number): number {
  return Math.min(geometry.tileCols, levelCols(geometry, j) - c * geometry.tileCols);
}

/** Bytes of one tile: its CRC, then rows × columns float32 values, row-major. */
export function tileBytes(rows: number, cols: number): number {
  return TILE_CRC_BYTES + rows * cols * VALUE_BYTES;
}

/** Offset of tile c from the start of its band record (every tile before it is full width). */
export function tileOffsetInBand(geometry: FileGeometry, i: number, b: number, c: number): number {
  return c * tileBytes(bandRows(geometry, i, b), geometry.tileCols);
}

/** Bytes of a band record of level (i, j): all its tiles. */
export function bandRecordBytes(geometry: FileGeometry, i: number, j: number, b: number): number {
  const across = tilesAcross(geometry, j);
  return tileOffsetInBand(geometry, i, b, across - 1) + tileBytes(bandRows(geometry, i, b), tileWidth(geometry, j, across - 1));
}

/**
 * Position of (i, j, plane, band) in the file's table of band offsets. The
 * table lists levels i-major, then j, then plane in {@link planesAt} order,
 * then band.
 */
export function bandSlot(geometry: FileGeometry, i: number, j: number, plane: Plane, b: number): number {
  let slot = 0;
  for (let li = 0; li < geometry.levelsRt; li++) {
    const bands = bandCount(geometry, li);
    for (let lj = 0; lj < geometry.levelsMz; lj++) {
      const planes = planesAt(li, lj);
      if (li === i && lj === j) {
        const p = planes.indexOf(plane);
        if (p < 0) throw new MillraceError('CONFIG_INVALID', `level (${i}, ${j}) has no ${plane} plane`);
        return slot + p * bands + b;
      }
      slot += planes.length * bands;
    }
  }
  throw new MillraceError('CONFIG_INVALID', `level (${i}, ${j}) is not in this file`);
}

/** Entries in the table of band offsets. */
export function bandSlotCount(geometry: FileGeometry): number {
  let slots = 0;
  for (let i = 0; i < geometry.levelsRt; i++) {
    for (let j = 0; j < geometry.levelsMz; j++) slots += planesAt(i, j).length * bandCount(geometry, i);
  }
  return slots;
}

/** Checks a geometry read from a file or given by a caller. @throws `STORAGE_CORRUPT`-free `CONFIG_INVALID` naming the field */
export function assertGeometry(geometry: FileGeometry): void {
  const check = (ok: boolean, field: string, expected: string): void => {
    if (!ok) throw new MillraceError('CONFIG_INVALID', `dataset file geometry: ${field} must be ${expected}, got ${String(geometry[field as keyof FileGeometry])}`, { field });
  };
  check(Number.isInteger(geometry.scans) && geometry.scans >= 1 && geometry.scans < 2 ** 31, 'scans', 'an integer from 1 to 2^31');
  check(Number.isInteger(geometry.bins) && geometry.bins >= 1 && geometry.bins < 2 ** 31, 'bins', 'an integer from 1 to 2^31');
  check(Number.isInteger(geometry.tileRows) && geometry.tileRows >= 1 && geometry.tileRows <= MAX_TILE_ROWS, 'tileRows', `an integer from 1 to ${MAX_TILE_ROWS}`);
  check(Number.isInteger(geometry.tileCols) && geometry.tileCols >= 1 && geometry.tileCols <= MAX_TILE_COLS, 'tileCols', `an integer from 1 to ${MAX_TILE_COLS}`);
  check(geometry.levelsRt === rtLevelCount(geometry.scans, geometry.tileRows), 'levelsRt', `${rtLevelCount(geometry.scans, geometry.tileRows)} for ${geometry.scans} scans`);
  check(geometry.levelsMz === mzLevelCount(geometry.bins), 'levelsMz', `${mzLevelCount(geometry.bins)} for ${geometry.bins} bins`);
}
