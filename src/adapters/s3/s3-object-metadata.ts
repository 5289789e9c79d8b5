/**
 * @module adapters/s3/s3-object-metadata
 * What an object written by `S3BlobStore` says about itself, as user
 * metadata (`x-amz-meta-*` headers), so `head` and `list` learn a blob's
 * ref without reading its content:
 *
 * | header                     | value                                   |
 * | -------------------------- | --------------------------------------- |
 * | `x-amz-meta-millrace-sha256` | lower-case hex SHA-256 of the content |
 * | `x-amz-meta-millrace-size`   | content length in bytes, decimal      |
 * | `x-amz-meta-millrace-put-at` | epoch ms of the last put of the same content again (optional) |
 *
 * `put-at` exists because a put of content already stored refreshes the
 * blob's age (the port's "ageing") by copying the object onto itself, and
 * not every compatible server dates that copy (s3rver keeps the old
 * `LastModified`); the later of the two is the blob's `modifiedAt`.
 *
 * The size duplicates `Content-Length` on purpose: an object replaced
 * behind the store's back with other bytes but copied metadata (or cut
 * short by a broken tool) then disagrees with itself, and is reported as
 * `STORAGE_CORRUPT` instead of yielding a ref that no `get` could satisfy.
 */
import { MillraceError } from '../../core/errors.js';

const SHA256_FIELD = 'millrace-sha256';
const SIZE_FIELD = 'millrace-size';
const PUT_AT_FIELD = 'millrace-put-at';

/** The metadata to write with a blob. */
export function blobMetadata(size: number, sha256: string): Record<string, string> {
  return { [SHA256_FIELD]: sha256, [SIZE_FIELD]: String(size) };
}

/** The metadata of a blob put again at `putAt` (epoch ms). */
export function refreshedBlobMetadata(size: number, sha256: string, putAt: number): Record<string, string> {
  return { ...blobMetadata(size, sha256), [PUT_AT_FIELD]: String(putAt) };
}

/**
 * When a blob was last put: the later of the server's `LastModified` and
 * our own `put-at`. No date at all reads as now: a blob is never taken
 * for old on a guess.
 */
export function modifiedAtOf(lastModified: Date | undefined, metadata: Record<string, string> | undefined, now: number): number {
  const putAt = Number(metadata?.[PUT_AT_FIELD]);
  const candidates = [lastModified?.getTime(), Number.isSafeInteger(putAt) ? putAt : undefined].filter((t): t is number => t !== undefined);
  return candidates.length === 0 ? now : Math.max(...candidates);
}

/**
 * Whether an object carries the metadata every completed write of this
 * store has. One without it is not a blob of ours: on S3 a write appears
 * whole, metadata included, or not at all, but a compatible server that
 * is not atomic (s3rver) can keep the bytes of a write cut off midway.
 */
export function hasBlobMetadata(metadata: Record<string, string> | undefined): boolean {
  return metadata?.[SHA256_FIELD] !== undefined || metadata?.[SIZE_FIELD] !== undefined;
}

/**
 * Reads size and hash back from a `HeadObject` answer. Throws
 * `STORAGE_CORRUPT` naming `key` when the object was not written by this
 * store or no longer matches what it recorded.
 */
export function readBlobMetadata(
  key: string,
  metadata: Record<string, string> | undefined,
  contentLength: number | undefined,
): { size: number; sha256: string } {
  const sha256 = metadata?.[SHA256_FIELD];
  const recorded = metadata?.[SIZE_FIELD];
  if (sha256 === undefined || recorded === undefined) {
    throw corrupt(key, 'has no millrace-sha256/millrace-size metadata: it was not written by an S3BlobStore');
  }
  if (!/^[0-9a-f]{64}$/.test(sha256) || !/^(0|[1-9]\d{0,15})$/.test(recorded)) {
    throw corrupt(key, 'has malformed millrace-sha256/millrace-size metadata');
  }
  const size = Number(recorded);
  if (contentLength !== undefined && contentLength !== size) {
    throw corrupt(key, `holds ${contentLength} bytes but recorded ${size}`, { expected: size, actual: contentLength });
  }
  return { size, sha256 };
}

function corrupt(key: string, problem: string, extra: Record<string, number> = {}): MillraceError {
  return new MillraceError('STORAGE_CORRUPT', `S3 object for blob "${key}" ${problem}`, { key, ...extra });
}
