/**
 * @module queries/format/tile-codec
 * Band records and their tiles: encoding (writer) and verified decoding
 * (workers). A tile is a CRC32 of its payload followed by `rows × cols`
 * float32 cells, row-major, little-endian. Cells are read through typed
 * arrays, which use the host's byte order, so this module refuses to load
 * on a big-endian host rather than return swapped numbers.
 */
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { MillraceError } from '../../core/errors.js';
import { storageCorrupt } from '../query-errors.js';
import { TILE_CRC_BYTES, VALUE_BYTES, tileBytes } from './layout.js';

if (endianness() !== 'LE') {
  throw new MillraceError('NOT_AVAILABLE', 'dataset files are read with typed arrays, which need a little-endian host');
}

/**
 * Encodes one band record: the band's rows (each `cols` cells) cut into
 * tiles of `tileCols` columns, each preceded by its CRC32.
 */
export function encodeBandRecord(bandRows: readonly Float32Array[], cols: number, tileCols: number): Uint8Array {
  const rows = bandRows.length;
  const across = Math.ceil(cols / tileCols);
  const fullTile = tileBytes(rows, tileCols);
  const last = tileBytes(rows, cols - (across - 1) * tileCols);
  const record = new Uint8Array((across - 1) * fullTile + last);
  for (let c = 0; c < across; c++) {
    const start = c * fullTile;
    const width = Math.min(tileCols, cols - c * tileCols);
    const payload = new Float32Array(record.buffer, start + TILE_CRC_BYTES, rows * width);
    for (let r = 0; r < rows; r++) payload.set(bandRows[r]!.subarray(c * tileCols, c * tileCols + width), r * width);
    const payloadBytes = record.subarray(start + TILE_CRC_BYTES, start + TILE_CRC_BYTES + rows * width * VALUE_BYTES);
    new DataView(record.buffer).setUint32(start, crc32(payloadBytes), true);
  }
  return record;
}

/** Where a tile sits in a buffer read from a file, and what it should hold. */
export interface TileLocation {
  /** Offset of the tile (its CRC) within `bytes`. */
  at: number;
  rows: number;
  cols: number;
  /** For the error message. */
  describe: () => string;
}

/**
 * The cells of one tile, after checking its CRC32. `bytes` must start at
 * a 4-byte aligned address (a fresh buffer from `getRange`, copied if not).
 * @throws `STORAGE_CORRUPT` when the checksum or the size does not match
 */
export function readTile(bytes: Uint8Array, tile: TileLocation): Float32Array {
  const length = tile.rows * tile.cols * VALUE_BYTES;
  if (tile.at + TILE_CRC_BYTES + length > bytes.byteLength) {
    throw storageCorrupt(`${tile.describe()}: the read returned ${bytes.byteLength} bytes, short of the tile`, {});
  }
  const payload = bytes.subarray(tile.at + TILE_CRC_BYTES, tile.at + TILE_CRC_BYTES + length);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + tile.at, TILE_CRC_BYTES).getUint32(0, true);
  if (crc32(payload) !== stored) throw storageCorrupt(`${tile.describe()} fails its CRC32: the file is damaged; no result uses it`, {});
  return new Float32Array(payload.buffer, payload.byteOffset, tile.rows * tile.cols);
}

/** A copy of `bytes` at a 4-byte aligned address, unless it already is one. */
export function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % VALUE_BYTES === 0 ? bytes : bytes.slice();
}
