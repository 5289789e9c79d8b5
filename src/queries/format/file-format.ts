/**
 * @module queries/format/file-format
 * Byte layout of a dataset file (`.mrt`, version 1), little-endian. The full
 * picture, with a diagram, is in docs/queries.md; in short:
 *
 * ```
 *  0        16                                    metaOffset          size-32   size
 *  ┌────────┬─────────────────────────────────────┬───────────────────┬─────────┐
 *  │ header │ band records, in the order written  │ meta: geometry,   │ trailer │
 *  │        │ (each: tiles side by side; each     │ RT per scan, band │         │
 *  │        │  tile: CRC32 + float32 cells)       │ offset table      │         │
 *  └────────┴─────────────────────────────────────┴───────────────────┴─────────┘
 * ```
 *
 * The meta section comes last because a streaming writer learns the number
 * of scans (and where each band landed) only at the end; a reader finds it
 * through the fixed-size trailer, which carries its CRC32. Every tile
 * carries its own CRC32, checked on each read, so a ranged read never
 * returns unverified cells.
 */
import { crc32 } from 'node:zlib';
import { bandSlotCount, assertGeometry, type FileGeometry } from './layout.js';
import { storageCorrupt } from '../query-errors.js';

export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 16;
export const TRAILER_BYTES = 32;
/** Fixed part of the meta section, before the RT array. */
export const META_FIXED_BYTES = 32;
const HEADER_MAGIC = Buffer.from('MRTILES\0', 'latin1');
const TRAILER_MAGIC = Buffer.from('MRTILEND', 'latin1');

/** What the meta section holds. */
export interface FileMeta {
  geometry: FileGeometry;
  /** m/z of the lower edge of base bin 0. */
  mzLo: number;
  /** Width of a base bin in m/z. */
  mzStep: number;
  /** Retention time of each scan, in seconds, non-decreasing. */
  rt: Float64Array;
  /** Byte offset of each band record, in {@link bandSlot} order. */
  bandOffsets: Float64Array;
}

/** The 16 bytes a file starts with: magic, version, header size. */
export function encodeHeader(): Uint8Array {
  const bytes = Buffer.alloc(HEADER_BYTES);
  HEADER_MAGIC.copy(bytes, 0);
  bytes.writeUInt16LE(FORMAT_VERSION, 8);
  bytes.writeUInt16LE(HEADER_BYTES, 10);
  return bytes;
}

/** The meta section. */
export function encodeMeta(meta: FileMeta): Uint8Array {
  const slots = bandSlotCount(meta.geometry);
  const bytes = Buffer.alloc(META_FIXED_BYTES + meta.rt.length * 8 + slots * 8);
  const g = meta.geometry;
  bytes.writeUInt32LE(g.scans, 0);
  bytes.writeUInt32LE(g.bins, 4);
  bytes.writeDoubleLE(meta.mzLo, 8);
  bytes.writeDoubleLE(meta.mzStep, 16);
  bytes.writeUInt16LE(g.tileRows, 24);
  bytes.writeUInt16LE(g.tileCols, 26);
  bytes.writeUInt8(g.levelsRt, 28);
  bytes.writeUInt8(g.levelsMz, 29);
  let at = META_FIXED_BYTES;
  for (const t of meta.rt) at = bytes.writeDoubleLE(t, at);
  for (const offset of meta.bandOffsets) at = writeU64(bytes, offset, at);
  return bytes;
}

/** The 32 bytes a file ends with. */
export function encodeTrailer(metaOffset: number, meta: Uint8Array): Uint8Array {
  const bytes = Buffer.alloc(TRAILER_BYTES);
  writeU64(bytes, metaOffset, 0);
  bytes.writeUInt32LE(meta.length, 8);
  bytes.writeUInt32LE(crc32(meta), 12);
  bytes.writeUInt16LE(FORMAT_VERSION, 16);
  bytes.writeUInt16LE(TRAILER_BYTES, 18);
  TRAILER_MAGIC.copy(bytes, 24);
  return bytes;
}

/** Where the meta section is, from a verified trailer. @throws `STORAGE_CORRUPT` */
export function decodeTrailer(bytes: Uint8Array, fileSize: number, key: string): { metaOffset: number; metaLength: number; metaCrc: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length !== TRAILER_BYTES || !b.subarray(24).equals(TRAILER_MAGIC)) throw storageCorrupt(`${key} is not a dataset file (no trailer magic)`, { key });
  const version = b.readUInt16LE(16);
  if (version !== FORMAT_VERSION) throw storageCorrupt(`${key} has format version ${version}; this build reads version ${FORMAT_VERSION}`, { key, version });
  const metaOffset = readU64(b, 0);
  const metaLength = b.readUInt32LE(8);
  if (metaOffset < HEADER_BYTES || metaOffset + metaLength !== fileSize - TRAILER_BYTES) {
    throw storageCorrupt(`${key}: trailer places the meta section at ${metaOffset}+${metaLength}, outside the file of ${fileSize} bytes`, { key });
  }
  return { metaOffset, metaLength, metaCrc: b.readUInt32LE(12) };
}

/** Parses and checks a meta section. @throws `STORAGE_CORRUPT` */
export function decodeMeta(bytes: Uint8Array, expectedCrc: number, metaOffset: number, key: string): FileMeta {
  if (crc32(bytes) !== expectedCrc) throw storageCorrupt(`${key}: the meta section fails its CRC32`, { key });
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < META_FIXED_BYTES) throw storageCorrupt(`${key}: meta section of ${b.length} bytes is too short`, { key });
  const geometry: FileGeometry = {
    scans: b.readUInt32LE(0), bins: b.readUInt32LE(4),
    tileRows: b.readUInt16LE(24), tileCols: b.readUInt16LE(26),
    levelsRt: b.readUInt8(28), levelsMz: b.readUInt8(29),
  };
  try {
    assertGeometry(geometry);
  } catch (error) {
    throw storageCorrupt(`${key}: ${(error as Error).message}`, { key });
  }
  const mzLo = b.readDoubleLE(8);
  const mzStep = b.readDoubleLE(16);
  if (!Number.isFinite(mzLo) || !(mzStep > 0 && Number.isFinite(mzStep))) throw storageCorrupt(`${key}: m/z axis ${mzLo} + k·${mzStep} is invalid`, { key });
  const slots = bandSlotCount(geometry);
  if (b.length !== META_FIXED_BYTES + geometry.scans * 8 + slots * 8) throw storageCorrupt(`${key}: meta section of ${b.length} bytes does not match its geometry`, { key });
  const rt = new Float64Array(geometry.scans);
  let at = META_FIXED_BYTES;
  for (let s = 0; s < geometry.scans; s++, at += 8) {
    rt[s] = b.readDoubleLE(at);
    if (!Number.isFinite(rt[s]!) || (s > 0 && rt[s]! < rt[s - 1]!)) throw storageCorrupt(`${key}: retention times must be finite and non-decreasing (scan ${s})`, { key, scan: s });
  }
  const bandOffsets = new Float64Array(slots);
  for (let k = 0; k < slots; k++, at += 8) {
    bandOffsets[k] = readU64(b, at);
    if (bandOffsets[k]! < HEADER_BYTES || bandOffsets[k]! >= metaOffset) throw storageCorrupt(`${key}: band offset ${k} points outside the data section`, { key, slot: k });
  }
  return { geometry, mzLo, mzStep, rt, bandOffsets };
}

/** Checks the first bytes of a file. @throws `STORAGE_CORRUPT` */
export function assertHeader(bytes: Uint8Array, key: string): void {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < HEADER_BYTES || !b.subarray(0, 8).equals(HEADER_MAGIC)) throw storageCorrupt(`${key} is not a dataset file (no header magic)`, { key });
}

function writeU64(bytes: Buffer, value: number, at: number): number {
  return bytes.writeBigUInt64LE(BigInt(value), at);
}

function readU64(bytes: Buffer, at: number): number {
  const value = bytes.readBigUInt64LE(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
