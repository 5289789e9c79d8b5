/**
 * @module adapters/s3/s3-reads
 * Reading `GetObject` bodies under the port's verification rules: a whole
 * read checks size and SHA-256 against the ref; a ranged read checks that
 * the object's total size (from `Content-Range`) equals the ref's, so a
 * truncated or replaced object fails with `BLOB_HASH_MISMATCH` instead of
 * returning the wrong bytes.
 *
 * A server may answer a `Range` with more than was asked — the whole object
 * with `200` (HTTP allows ignoring `Range`), or a wider range (s3rver 3.7
 * answers `bytes=0-0` with the whole object). The asked window is cut out
 * of the stream and the rest is not read; a body that does not cover the
 * window is refused.
 */
import { createHash } from 'node:crypto';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { MillraceError } from '../../core/errors.js';
import type { BlobRef } from '../../ports/blob-store.js';

/** Body of a `GetObject` answer as the Node SDK returns it. */
type Body = AsyncIterable<Uint8Array> & { destroy?: () => void };

/** The whole content, verified against `ref`. */
export async function readWhole(ref: BlobRef, response: GetObjectCommandOutput): Promise<Uint8Array> {
  const body = bodyOf(response);
  if (response.ContentLength !== undefined && response.ContentLength !== ref.size) {
    body?.destroy?.();
    throw sizeMismatch(ref, response.ContentLength);
  }
  const content = Buffer.allocUnsafe(ref.size);
  const hash = createHash('sha256');
  let filled = 0;
  if (body !== undefined) {
    for await (const chunk of body) {
      if (filled + chunk.length > ref.size) {
        body.destroy?.();
        throw sizeMismatch(ref, filled + chunk.length);
      }
      content.set(chunk, filled);
      hash.update(chunk);
      filled += chunk.length;
    }
  }
  if (filled !== ref.size) throw sizeMismatch(ref, filled);
  const actual = hash.digest('hex');
  if (actual !== ref.sha256) {
    throw new MillraceError('BLOB_HASH_MISMATCH', `blob "${ref.key}" does not match its SHA-256`, {
      key: ref.key, check: 'sha256', expected: ref.sha256, actual,
    });
  }
  return content;
}

/** `length` (> 0) bytes from `offset` out of a ranged `GetObject` answer. */
export async function readRange(ref: BlobRef, offset: number, length: number, response: GetObjectCommandOutput, host: string): Promise<Uint8Array> {
  const body = bodyOf(response);
  const served = servedRange(response);
  if (served === undefined || served.total !== ref.size) {
    body?.destroy?.();
    if (served === undefined) throw new MillraceError('NOT_AVAILABLE', `getRange failed: S3 at ${host} sent no usable Content-Range for blob "${ref.key}"`, { key: ref.key, host });
    throw sizeMismatch(ref, served.total);
  }
  const end = offset + length; // exclusive
  if (served.start > offset || served.end + 1 < end) {
    body?.destroy?.();
    throw new MillraceError('NOT_AVAILABLE', `getRange failed: S3 at ${host} sent bytes ${served.start}-${served.end} of blob "${ref.key}" for ${offset}-${end - 1}`, {
      key: ref.key, host,
    });
  }
  const out = Buffer.allocUnsafe(length);
  let position = served.start; // stream offset of the next byte
  let filled = 0;
  if (body !== undefined) {
    for await (const chunk of body) {
      const from = Math.max(0, offset - position);
      const to = Math.min(chunk.length, end - position);
      if (to > from) {
        out.set(chunk.subarray(from, to), filled);
        filled += to - from;
      }
      position += chunk.length;
      if (position >= end) break; // leaving the loop destroys the rest of the body
    }
  }
  // The server promised this range of an object of the right size; fewer bytes means it shrank mid-read.
  if (filled !== length) throw sizeMismatch(ref, offset + filled);
  return out;
}

/** `BLOB_HASH_MISMATCH` for an object whose length is not the ref's. */
export function sizeMismatch(ref: BlobRef, actual: number): MillraceError {
  return new MillraceError('BLOB_HASH_MISMATCH', `blob "${ref.key}" holds ${actual} bytes, its ref says ${ref.size}`, {
    key: ref.key, check: 'size', expected: ref.size, actual,
  });
}

/** The inclusive byte range a response carries: from `Content-Range`, or the whole object for a plain `200`. */
function servedRange(response: GetObjectCommandOutput): { start: number; end: number; total: number } | undefined {
  if (response.ContentRange === undefined) {
    const total = response.ContentLength;
    return total === undefined ? undefined : { start: 0, end: total - 1, total };
  }
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.ContentRange);
  if (match === null) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

function bodyOf(response: GetObjectCommandOutput): Body | undefined {
  return response.Body as Body | undefined;
}
