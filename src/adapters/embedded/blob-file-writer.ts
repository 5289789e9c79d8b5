/**
 * @module adapters/embedded/blob-file-writer
 * Streams a `BlobBody` into an open file, hashing and counting as bytes
 * arrive, so a blob of any size is written in one pass with bounded memory.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { BlobBody } from '../../ports/blob-store.js';

/**
 * Small chunks are gathered up to this size before a write: an iterable of
 * one-byte chunks must not cost one system call per byte.
 */
const STAGING_BYTES = 1024 * 1024;

/** What was written. */
export interface WrittenContent {
  size: number;
  /** Lower-case hex SHA-256. */
  sha256: string;
}

/**
 * Writes `body` to `handle` from `position` on and returns its size and hash.
 * Chunks are hashed and copied (or written) before the next one is pulled, so
 * a producer that reuses its buffer cannot make the hash and the bytes on
 * disk disagree.
 */
export async function writeBlobContent(handle: FileHandle, position: number, body: BlobBody): Promise<WrittenContent> {
  const hash = createHash('sha256');
  let written = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + written + done);
      done += bytesWritten;
    }
    written += bytes.length;
  };

  if (body instanceof Uint8Array) {
    hash.update(body);
    await write(body);
    return { size: written, sha256: hash.digest('hex') };
  }

  const staging = Buffer.allocUnsafe(STAGING_BYTES);
  let staged = 0;
  for await (const chunk of body as AsyncIterable<unknown>) {
    const bytes = toBytes(chunk);
    hash.update(bytes);
    if (staged === 0 && bytes.length >= STAGING_BYTES) {
      await write(bytes);
      continue;
    }
    let taken = 0;
    while (taken < bytes.length) {
      const n = Math.min(bytes.length - taken, STAGING_BYTES - staged);
      staging.set(bytes.subarray(taken, taken + n), staged);
      staged += n;
      taken += n;
      if (staged === STAGING_BYTES) {
        await write(staging);
        staged = 0;
      }
    }
  }
  if (staged > 0) await write(staging.subarray(0, staged));
  return { size: written, sha256: hash.digest('hex') };
}

/** A `Readable` with `setEncoding('utf8')` yields strings; anything else is a caller's mistake. */
function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`blob body yielded a ${typeof chunk}, expected Uint8Array chunks`);
}
