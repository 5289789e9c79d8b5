/**
 * @module adapters/embedded/blob-file-format
 * How `FileBlobStore` lays blobs out on disk.
 *
 * ```
 * <root>/
 *   blobs/                      one file per blob, one directory per key segment
 *     runs.d/2024.d/scan-7.blob   ← key 'runs/2024/scan-7'
 *   tmp/
 *     <uuid>.tmp                  uploads in progress (or abandoned by a crash)
 * ```
 *
 * Directory segments end in `.d` and blob files in `.blob`, so the keys `a`
 * and `a/b` can coexist (a file `a.blob` beside a directory `a.d`), and no
 * key can name a directory, a temp file or a blob of another key.
 *
 * Each blob file is a 64-byte header followed by the content:
 *
 * ```
 * offset  bytes  field
 *      0      8  magic 'MLRBLOB1'
 *      8      8  content length, unsigned big-endian
 *     16     32  SHA-256 of the content
 *     48     16  first 16 bytes of SHA-256 over bytes 0..48 (guards the header itself)
 *     64      n  content
 * ```
 *
 * The hash travels inside the file rather than in a sidecar, so one rename
 * (a link, in fact: see `FileBlobStore.put`) publishes content and hash
 * together: there is no crash window in which a blob is visible without its
 * correct hash. The header sits in front (not behind) so a truncated file
 * still says what it should have been.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { MillraceError } from '../../core/errors.js';
import { blobKeySegments } from '../common/blob-key.js';

/** Bytes before the content in every blob file. */
export const BLOB_HEADER_BYTES = 64;
/** Longest key segment, in UTF-8 bytes: file names are limited to 255 bytes on most file systems. */
export const MAX_SEGMENT_BYTES = 240;

const MAGIC = Buffer.from('MLRBLOB1', 'ascii');
const HEADER_CHECKSUM_BYTES = 16;
const BODY_BYTES = BLOB_HEADER_BYTES - HEADER_CHECKSUM_BYTES;

export const BLOBS_DIR = 'blobs';
export const TMP_DIR = 'tmp';
export const BLOB_SUFFIX = '.blob';
export const DIR_SUFFIX = '.d';
export const TMP_SUFFIX = '.tmp';

/** What a header records. */
export interface BlobHeader {
  size: number;
  sha256: string;
}

/** Encodes a header for content of `size` bytes hashing to `sha256` (hex). */
export function encodeBlobHeader(header: BlobHeader): Buffer {
  const bytes = Buffer.alloc(BLOB_HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes.writeBigUInt64BE(BigInt(header.size), 8);
  Buffer.from(header.sha256, 'hex').copy(bytes, 16);
  headerChecksum(bytes).copy(bytes, BODY_BYTES);
  return bytes;
}

/**
 * Decodes a header, or throws `STORAGE_CORRUPT` naming `key` when the bytes
 * are not a well-formed, self-consistent header.
 */
export function decodeBlobHeader(bytes: Uint8Array, key: string): BlobHeader {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wellFormed = buffer.length === BLOB_HEADER_BYTES
    && buffer.subarray(0, 8).equals(MAGIC)
    && buffer.subarray(BODY_BYTES).equals(headerChecksum(buffer));
  if (!wellFormed) {
    throw new MillraceError('STORAGE_CORRUPT', `blob file for key "${key}" has a damaged header`, { key });
  }
  const size = buffer.readBigUInt64BE(8);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MillraceError('STORAGE_CORRUPT', `blob file for key "${key}" records an impossible size`, { key });
  }
  return { size: Number(size), sha256: buffer.subarray(16, 48).toString('hex') };
}

/** Path of the blob file for a valid key (under `<root>/blobs`). */
export function blobFilePath(root: string, key: string): string {
  const segments = blobKeySegments(key);
  const last = segments.pop()!;
  return join(root, BLOBS_DIR, ...segments.map((segment) => segment + DIR_SUFFIX), last + BLOB_SUFFIX);
}

/** Path of the directory holding the blobs whose keys start with `keyDirectory + '/'`. */
export function blobDirectoryPath(root: string, keyDirectory: string): string {
  if (keyDirectory === '') return join(root, BLOBS_DIR);
  return join(root, BLOBS_DIR, ...blobKeySegments(keyDirectory).map((segment) => segment + DIR_SUFFIX));
}

function headerChecksum(header: Buffer): Buffer {
  return createHash('sha256').update(header.subarray(0, BODY_BYTES)).digest().subarray(0, HEADER_CHECKSUM_BYTES);
}
