/**
 * @module adapters/s3/s3-staging
 * Reads a `BlobBody` to its end, hashing (SHA-256) and counting as bytes
 * arrive, before anything is sent to S3.
 *
 * Why stage at all, rather than stream straight into a multipart upload:
 * the hash and size must travel as object metadata (so `head` and `list`
 * never read content), and S3 fixes an object's metadata when the upload is
 * *created*, before the first part — while the hash is known only after the
 * last byte. So a body is held until it ends:
 *
 * ```
 *  body ──▶ hash + count ──▶ memory, up to partSizeBytes ──▶ one PutObject
 *                        └─▶ beyond that: a spool file ───▶ multipart, part by part
 * ```
 *
 * Memory stays bounded by one part; a larger body costs local disk instead
 * (in `spoolDirectory`), for as long as the put runs. The spool file is
 * unlinked as soon as it is open (POSIX), so a crashed process leaves nothing
 * behind. The alternative — stream to a temporary key, then server-side copy
 * with the metadata — avoids local disk but doubles the server's writes,
 * needs a multipart copy above 5 GiB and leaves temporary objects to clean
 * up; it is the better trade only when workers have less disk than blobs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobBody } from '../../ports/blob-store.js';

/** Small chunks are gathered to this size before a spool write: no system call per tiny chunk. */
const SPOOL_WRITE_BYTES = 1024 * 1024;

/** A body read to its end: its size and hash, and a way to read it back. */
export interface StagedBody {
  readonly size: number;
  /** Lower-case hex SHA-256 of the whole body. */
  readonly sha256: string;
  /** The whole content when it is held in memory; `undefined` when spooled to disk. */
  readonly bytes: Uint8Array | undefined;
  /** `length` bytes from `offset`. Safe to call concurrently. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the spool file, if any. */
  dispose(): Promise<void>;
}

/**
 * Stages `body`: in memory while it fits in `memoryLimit` bytes (a
 * `Uint8Array` body is already in memory and is used as it is), otherwise in
 * a spool file under `spoolDirectory`. Each chunk is hashed and copied before
 * the next is pulled, so a producer that reuses its buffer cannot make the
 * hash and the stored bytes disagree. If the body fails, the spool is
 * removed and the body's error is rethrown.
 */
export async function stageBody(body: BlobBody, memoryLimit: number, spoolDirectory: string): Promise<StagedBody> {
  if (body instanceof Uint8Array) return inMemory(body, createHash('sha256').update(body).digest('hex'));
  const hash = createHash('sha256');
  const held: Buffer[] = [];
  let heldBytes = 0;
  let spool: Spool | undefined;
  try {
    for await (const chunk of body as AsyncIterable<unknown>) {
      const bytes = toBytes(chunk);
      hash.update(bytes);
      if (spool === undefined && heldBytes + bytes.length <= memoryLimit) {
        held.push(Buffer.from(bytes));
        heldBytes += bytes.length;
        continue;
      }
      if (spool === undefined) {
        spool = await Spool.create(spoolDirectory);
        for (const part of held) await spool.append(part);
        held.length = 0;
      }
      await spool.append(bytes);
    }
    const sha256 = hash.digest('hex');
    if (spool === undefined) return inMemory(Buffer.concat(held, heldBytes), sha256);
    await spool.flush();
    return spool.staged(sha256);
  } catch (error) {
    await spool?.dispose();
    throw error;
  }
}

function inMemory(bytes: Uint8Array, sha256: string): StagedBody {
  return {
    size: bytes.length,
    sha256,
    bytes,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
    dispose: () => Promise.resolve(),
  };
}

/** An anonymous temp file: written once in order, then read by position. */
class Spool {
  private readonly pending = Buffer.allocUnsafe(SPOOL_WRITE_BYTES);
  private pendingBytes = 0;
  private written = 0;

  private constructor(private readonly handle: FileHandle, private readonly path: string | undefined) {}

  static async create(directory: string): Promise<Spool> {
    const path = join(directory, `millrace-s3-${randomUUID()}.spool`);
    const handle = await open(path, 'wx+', 0o600);
    if (process.platform === 'win32') return new Spool(handle, path); // an open file cannot be unlinked there
    try {
      await rm(path);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new Spool(handle, undefined);
  }

  async append(bytes: Uint8Array): Promise<void> {
    if (this.pendingBytes === 0 && bytes.length >= SPOOL_WRITE_BYTES) {
      await this.write(bytes);
      return;
    }
    let taken = 0;
    while (taken < bytes.length) {
      const n = Math.min(bytes.length - taken, SPOOL_WRITE_BYTES - this.pendingBytes);
      this.pending.set(bytes.subarray(taken, taken + n), this.pendingBytes);
      this.pendingBytes += n;
      taken += n;
      if (this.pendingBytes === SPOOL_WRITE_BYTES) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    await this.write(this.pending.subarray(0, this.pendingBytes));
    this.pendingBytes = 0;
  }

  staged(sha256: string): StagedBody {
    return { size: this.written, sha256, bytes: undefined, read: (offset, length) => this.read(offset, length), dispose: () => this.dispose() };
  }

  async dispose(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    if (this.path !== undefined) await rm(this.path, { force: true }).catch(() => undefined);
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.written + done);
      done += bytesWritten;
    }
    this.written += bytes.length;
  }

  private async read(offset: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) throw new Error(`spool file ended at ${offset + filled} of ${this.written} bytes`);
      filled += bytesRead;
    }
    return buffer;
  }
}

/** A `Readable` with `setEncoding('utf8')` yields strings; anything else is a caller's mistake. */
function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`blob body yielded a ${typeof chunk}, expected Uint8Array chunks`);
}
