/**
 * @module queries/format/dataset-file-encoder
 * Turns a stream of scans (rows of the base grid) into the bytes of a
 * dataset file in one pass, holding only the bands being filled.
 *
 * ```
 * scan ─▶ level 0 band ──(full)──▶ records (0,0) (0,1) … (0,J)        written now
 *            │ every row
 *            ▼ pairs of rows (max of maxes, sum of sums, in float64)
 *         level 1 band ──(full)──▶ records (1,0) … (1,J), max and sum planes
 *            ▼
 *           …                     m/z levels (i, j>0) are derived from the
 *                                 (i, 0) band when it is written
 * end ─▶ partial rows complete, partial bands written, meta + trailer
 * ```
 *
 * Records land in the order bands fill up; the meta section at the end
 * records where each one is. Memory: about `tileRows × bins × 8` bytes per
 * retention-time level, plus one accumulating row per level.
 */
import { MillraceError } from '../../core/errors.js';
import { encodeBandRecord } from './tile-codec.js';
import { encodeHeader, encodeMeta, encodeTrailer, HEADER_BYTES, TRAILER_BYTES, type FileMeta } from './file-format.js';
import {
  MAX_LEVELS, MAX_TILE_COLS, MAX_TILE_ROWS, bandCount, bandSlot, bandSlotCount, levelCols, mzLevelCount, planesAt, rtLevelCount, type FileGeometry, type Plane,
} from './layout.js';

/** One scan: its retention time and its cells (one per m/z bin). */
export interface ScanRow {
  /** Seconds. Non-decreasing from scan to scan. */
  rt: number;
  /** Intensities, finite and ≥ 0, one per base bin. */
  cells: Float32Array;
}

/** Options of {@link DatasetFileEncoder}. */
export interface DatasetFileEncoderOptions {
  /** Base m/z bins per scan. */
  bins: number;
  /** m/z of the lower edge of bin 0. */
  mzLo: number;
  /** Bin width in m/z. */
  mzStep: number;
  /** @defaultValue 64 */
  tileRows?: number;
  /** @defaultValue 256 */
  tileCols?: number;
}

/** What a finished file holds, for the dataset manifest. */
export interface EncodedFileSummary {
  geometry: FileGeometry;
  mzLo: number;
  mzStep: number;
  rtMin: number;
  rtMax: number;
  bytes: number;
}

/** One retention-time level being filled. */
interface RtLevel {
  i: number;
  /** Rows completed so far. */
  rows: number;
  /** Rows of the band being filled: max (or value) and sum planes. */
  bandMax: Float32Array[];
  bandSum: Float32Array[];
  /** The next row, accumulated from pairs of rows of the level below. */
  accMax: Float64Array | undefined;
  accSum: Float64Array | undefined;
  accRows: number;
}

export const DEFAULT_TILE_ROWS = 64;
export const DEFAULT_TILE_COLS = 256;

/**
 * @example
 * ```ts
 * const encoder = new DatasetFileEncoder({ bins: 20_000, mzLo: 100, mzStep: 0.095 })
 * const chunks = [encoder.start()]
 * for (const scan of scans) chunks.push(...encoder.push(scan))
 * chunks.push(...encoder.finish())
 * ```
 */
export class DatasetFileEncoder {
  private readonly bins: number;
  private readonly tileRows: number;
  private readonly tileCols: number;
  private readonly levelsMz: number;
  private readonly levels: RtLevel[] = [];
  private readonly rts: number[] = [];
  /** Offsets by `i/j/plane/band`, filled as records are written. */
  private readonly offsets = new Map<string, number>();
  private offset = 0;
  private finished = false;

  constructor(private readonly options: DatasetFileEncoderOptions) {
    this.bins = options.bins;
    this.tileRows = options.tileRows ?? DEFAULT_TILE_ROWS;
    this.tileCols = options.tileCols ?? DEFAULT_TILE_COLS;
    const integer = (value: number, min: number, max: number, field: string): void => {
      if (!Number.isInteger(value) || value < min || value > max) throw new MillraceError('CONFIG_INVALID', `${field} must be an integer from ${min} to ${max}, got ${String(value)}`, { field });
    };
    integer(this.bins, 1, 2 ** 31 - 1, 'bins');
    integer(this.tileRows, 1, MAX_TILE_ROWS, 'tileRows');
    integer(this.tileCols, 1, MAX_TILE_COLS, 'tileCols');
    if (!Number.isFinite(options.mzLo)) throw new MillraceError('CONFIG_INVALID', `mzLo must be finite, got ${options.mzLo}`, { field: 'mzLo' });
    if (!(options.mzStep > 0 && Number.isFinite(options.mzStep))) throw new MillraceError('CONFIG_INVALID', `mzStep must be a positive number, got ${options.mzStep}`, { field: 'mzStep' });
    this.levelsMz = mzLevelCount(this.bins);
  }

  /** The file's first bytes. */
  start(): Uint8Array {
    const header = encodeHeader();
    this.offset = HEADER_BYTES;
    return header;
  }

  /** Adds the next scan; returns the records it completed (possibly none). */
  push(scan: ScanRow): Uint8Array[] {
    if (this.finished) throw new MillraceError('CONFIG_INVALID', 'the file is already finished');
    if (this.offset === 0) throw new MillraceError('CONFIG_INVALID', 'call start() before push()');
    this.checkScan(scan);
    this.rts.push(scan.rt);
    const out: Uint8Array[] = [];
    const copy = Float32Array.from(scan.cells);
    this.addRow(0, copy, copy, out);
    return out;
  }

  /** Completes partial rows and bands; returns the last records, the meta section and the trailer. */
  finish(): { chunks: Uint8Array[]; summary: EncodedFileSummary } {
    if (this.finished) throw new MillraceError('CONFIG_INVALID', 'the file is already finished');
    if (this.rts.length === 0) throw new MillraceError('CONFIG_INVALID', 'a dataset file needs at least one scan');
    this.finished = true;
    const out: Uint8Array[] = [];
    // Levels from levelsRt up have fewer than tileRows rows: they are not kept, so their last rows are not completed.
    const levelsRt = rtLevelCount(this.rts.length, this.tileRows);
    for (let i = 1; i < levelsRt; i++) {
      const level = this.level(i);
      if (level.accRows > 0) this.completeRow(level, out);
    }
    for (let i = 0; i < levelsRt; i++) {
      const level = this.level(i);
      if (level.bandMax.length > 0) this.writeBand(level, out);
    }
    const geometry: FileGeometry = { scans: this.rts.length, bins: this.bins, tileRows: this.tileRows, tileCols: this.tileCols, levelsRt, levelsMz: this.levelsMz };
    const bandOffsets = new Float64Array(bandSlotCount(geometry));
    for (let i = 0; i < levelsRt; i++) {
      for (let j = 0; j < this.levelsMz; j++) {
        for (const plane of planesAt(i, j)) {
          for (let b = 0; b < bandCount(geometry, i); b++) {
            const at = this.offsets.get(`${i}/${j}/${plane}/${b}`);
            if (at === undefined) throw new MillraceError('CONFIG_INVALID', `internal: band ${b} of level (${i}, ${j}) ${plane} was never written`);
            bandOffsets[bandSlot(geometry, i, j, plane, b)] = at;
          }
        }
      }
    }
    const meta: FileMeta = { geometry, mzLo: this.options.mzLo, mzStep: this.options.mzStep, rt: Float64Array.from(this.rts), bandOffsets };
    const metaBytes = encodeMeta(meta);
    const metaOffset = this.offset;
    out.push(metaBytes, encodeTrailer(metaOffset, metaBytes));
    const bytes = metaOffset + metaBytes.length + TRAILER_BYTES;
    return { chunks: out, summary: { geometry, mzLo: this.options.mzLo, mzStep: this.options.mzStep, rtMin: this.rts[0]!, rtMax: this.rts.at(-1)!, bytes } };
  }

  private checkScan(scan: ScanRow): void {
    const index = this.rts.length;
    if (!(scan.cells instanceof Float32Array) || scan.cells.length !== this.bins) {
      throw new MillraceError('CONFIG_INVALID', `scan ${index} has ${scan.cells?.length} cells; the file has ${this.bins} bins`, { scan: index });
    }
    if (!Number.isFinite(scan.rt) || (index > 0 && scan.rt < this.rts[index - 1]!)) {
      throw new MillraceError('CONFIG_INVALID', `scan ${index}: retention time ${scan.rt} must be finite and not before the previous scan's`, { scan: index });
    }
    for (let k = 0; k < scan.cells.length; k++) {
      const v = scan.cells[k]!;
      if (!(v >= 0) || v === Infinity) throw new MillraceError('CONFIG_INVALID', `scan ${index}, bin ${k}: intensity ${v} must be finite and ≥ 0`, { scan: index, bin: k });
    }
  }

  private level(i: number): RtLevel {
    let level = this.levels[i];
    if (level === undefined) {
      level = { i, rows: 0, bandMax: [], bandSum: [], accMax: undefined, accSum: undefined, accRows: 0 };
      this.levels[i] = level;
    }
    return level;
  }

  /** Appends a completed row to level i, writes the band if full, and feeds level i + 1. */
  private addRow(i: number, max: Float32Array, sum: Float32Array, out: Uint8Array[], sum64?: Float64Array, max64?: Float64Array): void {
    const level = this.level(i);
    level.bandMax.push(max);
    level.bandSum.push(sum);
    level.rows++;
    if (level.bandMax.length === this.tileRows) this.writeBand(level, out);
    if (i + 1 >= MAX_LEVELS) return;
    const up = this.level(i + 1);
    const srcMax = max64 ?? max;
    const srcSum = sum64 ?? sum;
    if (up.accRows === 0) {
      up.accMax = Float64Array.from(srcMax);
      up.accSum = Float64Array.from(srcSum);
    } else {
      const accMax = up.accMax!;
      const accSum = up.accSum!;
      for (let k = 0; k < this.bins; k++) {
        if (srcMax[k]! > accMax[k]!) accMax[k] = srcMax[k]!;
        accSum[k] = accSum[k]! + srcSum[k]!;
      }
    }
    up.accRows++;
    if (up.accRows === 2) this.completeRow(up, out);
  }

  private completeRow(level: RtLevel, out: Uint8Array[]): void {
    const max64 = level.accMax!;
    const sum64 = level.accSum!;
    level.accMax = undefined;
    level.accSum = undefined;
    level.accRows = 0;
    this.addRow(level.i, Float32Array.from(max64), Float32Array.from(sum64), out, sum64, max64);
  }

  /** Writes the band being filled at every m/z level, if the level is kept, and empties it. */
  private writeBand(level: RtLevel, out: Uint8Array[]): void {
    const band = Math.floor((level.rows - 1) / this.tileRows);
    const kept = level.i === 0 || level.rows >= this.tileRows;
    const maxRows = level.bandMax;
    const sumRows = level.bandSum;
    level.bandMax = [];
    level.bandSum = [];
    if (!kept) return;
    let max = maxRows;
    let sum = sumRows;
    for (let j = 0; j < this.levelsMz; j++) {
      if (j > 0) {
        max = max.map((row) => halveColumns(row, 'max'));
        sum = sum.map((row) => halveColumns(row, 'sum'));
      }
      const cols = levelCols({ bins: this.bins }, j);
      for (const plane of planesAt(level.i, j)) {
        this.emit(`${level.i}/${j}/${plane satisfies Plane}/${band}`, encodeBandRecord(plane === 'sum' ? sum : max, cols, this.tileCols), out);
      }
    }
  }

  private emit(slot: string, record: Uint8Array, out: Uint8Array[]): void {
    this.offsets.set(slot, this.offset);
    this.offset += record.length;
    out.push(record);
  }
}

/** The next m/z level of one row: pairs of columns combined (an odd last column stands alone). */
function halveColumns(row: Float32Array, how: 'max' | 'sum'): Float32Array {
  const out = new Float32Array(Math.ceil(row.length / 2));
  for (let k = 0; k < out.length; k++) {
    const a = row[2 * k]!;
    const b = 2 * k + 1 < row.length ? row[2 * k + 1]! : (how === 'max' ? a : 0);
    out[k] = how === 'max' ? (a > b ? a : b) : a + b;
  }
  return out;
}
