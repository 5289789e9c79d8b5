/**
 * @module adapters/s3/s3-blob-store
 * The cluster `BlobStore`: immutable, verified blobs as objects in an S3
 * bucket (AWS S3 or an S3-compatible server), one object per blob at
 * `<prefix><key>`, with its SHA-256 and size as object metadata
 * (`s3-object-metadata.ts`).
 *
 * How a `put` keeps a key written once:
 *
 * ```
 *  1. stage the body: hash + count      memory up to one part, else a spool file (s3-staging.ts)
 *  2. HEAD the key (skipped for small   exists → same size and hash? refresh its LastModified
 *     bodies when writes are conditional)          (copy onto itself) and return its ref : BLOB_CONFLICT
 *  3. PutObject / multipart upload      with If-None-Match: * — the server refuses (412) if
 *                                       the key appeared since; then HEAD and compare as in 2
 * ```
 *
 * An object at the key without this store's metadata is the remains of a
 * write cut off midway on a server that is not atomic (s3rver keeps the
 * bytes of a PUT whose client was killed): every read refuses it
 * (`STORAGE_CORRUPT`), and a put removes it and writes the key afresh.
 *
 * Within one process, writers of one key also take turns (`KeyedMutex`).
 * Across processes the guarantee is the server's: with `conditionalWrites`
 * on a server that honours `If-None-Match` (AWS S3, recent MinIO), exactly one
 * of several concurrent writers of different content wins. On a server that
 * ignores the header (s3rver), two processes writing different content to
 * one key in the same instant can both succeed and the last write stands;
 * the loser's ref then fails `get` with `BLOB_HASH_MISMATCH` — detected,
 * never silent, but not prevented.
 */
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { MillraceError } from '../../core/errors.js';
import type { BlobBody, BlobEntry, BlobRef, BlobStore, RangeReadHint } from '../../ports/blob-store.js';
import { assertValidBlobKey, assertValidBlobPrefix, isValidBlobKey, MAX_BLOB_KEY_BYTES } from '../common/blob-key.js';
import { OpenOperations } from '../common/open-operations.js';
import { KeyedMutex } from './keyed-mutex.js';
import { resolveS3Options } from './s3-blob-store-options.js';
import type { ResolvedS3Options, S3BlobStoreOptions } from './s3-blob-store-options.js';
import { isS3InvalidRange, isS3NotFound, isS3WriteConflict, toMillraceError } from './s3-errors.js';
import type { S3ErrorContext } from './s3-errors.js';
import { listObjects, mapOrdered } from './s3-listing.js';
import { blobMetadata, hasBlobMetadata, modifiedAtOf, readBlobMetadata, refreshedBlobMetadata } from './s3-object-metadata.js';
import { readRange, readWhole, sizeMismatch } from './s3-reads.js';
import { stageBody } from './s3-staging.js';
import { uploadStaged } from './s3-upload.js';

/** Largest object one `CopyObject` can copy: bigger blobs put again keep their old `LastModified`. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
/** A conditional write that lost to a write still in progress is retried this often. */
const CONFLICT_ATTEMPTS = 3;

/**
 * A `BlobStore` on S3. The bucket must exist. Network failures, throttling
 * and server errors surface as `NOT_AVAILABLE` naming the endpoint host
 * (the SDK has already retried them); credentials never appear in errors.
 *
 * @example
 * ```ts
 * const blobs = new S3BlobStore(parseS3Url(process.env.MILLRACE_BLOBS!))
 * const ref = await blobs.put('runs/42/input.bin', createReadStream('input.bin'))
 * const header = await blobs.getRange(ref, 0, 512)
 * await blobs.close()
 * ```
 */
export class S3BlobStore implements BlobStore {
  readonly name: string;
  readonly rangeReads: RangeReadHint;
  private readonly options: ResolvedS3Options;
  private readonly client: S3Client;
  private readonly writers = new KeyedMutex();
  private readonly operations: OpenOperations;
  private hostName: Promise<string> | undefined;

  constructor(options: S3BlobStoreOptions) {
    this.options = resolveS3Options(options);
    this.client = this.options.client;
    this.name = this.options.name;
    this.rangeReads = { chunkBytes: this.options.rangeReadBytes, inFlight: this.options.rangeReadsInFlight };
    this.operations = new OpenOperations('blob store', this.name);
  }

  put(key: string, body: BlobBody): Promise<BlobRef> {
    return this.operations.run(async () => {
      const objectKey = this.objectKey(key);
      return this.writers.run(objectKey, () => this.putOnce(key, objectKey, body));
    });
  }

  get(ref: BlobRef): Promise<Uint8Array> {
    return this.operations.run(async () => {
      const objectKey = this.objectKeyOf(ref);
      // Inside `call`: the body can fail mid-stream too (a reset connection).
      return this.call('get', ref.key, async () => readWhole(ref, await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: objectKey }))));
    });
  }

  getRange(ref: BlobRef, offset: number, length: number): Promise<Uint8Array> {
    return this.operations.run(async () => {
      const objectKey = this.objectKeyOf(ref);
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > ref.size) {
        throw new MillraceError('BLOB_RANGE_INVALID', `range ${offset}+${length} is outside blob "${ref.key}" of ${ref.size} bytes`, {
          key: ref.key, offset, length, size: ref.size,
        });
      }
      if (length === 0) {
        // No byte range can express "nothing"; the object must still exist at the right size.
        const size = await this.storedSize(ref.key, objectKey);
        if (size !== ref.size) throw sizeMismatch(ref, size);
        return new Uint8Array(0);
      }
      let response;
      try {
        response = await this.client.send(new GetObjectCommand({
          Bucket: this.options.bucket, Key: objectKey, Range: `bytes=${offset}-${offset + length - 1}`,
        }));
      } catch (error) {
        // The range fits the ref, so an unsatisfiable one means the object is shorter than the ref says.
        if (isS3InvalidRange(error)) throw sizeMismatch(ref, await this.storedSize(ref.key, objectKey));
        throw await this.mapped(error, 'getRange', ref.key);
      }
      const host = await this.host();
      return this.call('getRange', ref.key, () => readRange(ref, offset, length, response, host));
    });
  }

  head(key: string): Promise<BlobRef | undefined> {
    return this.operations.run(async () => (await this.headEntry(key, this.objectKey(key)))?.ref);
  }

  async *list(prefix: string): AsyncIterable<BlobRef> {
    for await (const entry of this.listEntries(prefix)) yield entry.ref;
  }

  async *listEntries(prefix: string): AsyncIterable<BlobEntry> {
    this.operations.assertOpen();
    assertValidBlobPrefix(prefix);
    const { bucket, prefix: storePrefix } = this.options;
    const host = await this.host();
    const outOfOrder = (previous: string, next: string): Error => new MillraceError('NOT_AVAILABLE',
      `list failed: S3 at ${host} listed "${next}" after "${previous}", not in UTF-8 byte order as S3 does`, { host, bucket });
    const listed = listObjects(this.client, bucket, storePrefix + prefix, this.options.listPageSize, outOfOrder);
    const entries = mapOrdered(this.validKeys(listed), this.options.listConcurrency, (key) => this.operations.run(() => this.headEntry(key, storePrefix + key)));
    for await (const entry of entries) if (entry !== undefined) yield entry; // undefined: deleted since it was listed
  }

  delete(key: string): Promise<void> {
    return this.operations.run(async () => this.removeObject(key, this.objectKey(key), 'delete'));
  }

  /** Waits for operations in progress, then destroys the client if the store built it. Later calls fail with `NOT_AVAILABLE`. */
  async close(): Promise<void> {
    if (!(await this.operations.close())) return;
    if (this.options.ownsClient) this.client.destroy();
  }

  /** Steps 1–3 of the module comment, for one writer holding the key's turn. */
  private async putOnce(key: string, objectKey: string, body: BlobBody): Promise<BlobRef> {
    const { partSizeBytes, conditionalWrites } = this.options;
    const staged = await stageBody(body, partSizeBytes, this.options.spoolDirectory);
    try {
      const ref: BlobRef = { store: this.name, key, size: staged.size, sha256: staged.sha256 };
      // Look first unless the server guards the write and the body is small:
      // a retried put of a large blob then costs one HEAD instead of an upload.
      if (!conditionalWrites || staged.size > partSizeBytes) {
        const existing = await this.headEntry(key, objectKey, { removeTorn: true });
        if (existing !== undefined) return this.putAgain(objectKey, existing.ref, ref);
      }
      const target = {
        bucket: this.options.bucket, objectKey, metadata: blobMetadata(staged.size, staged.sha256), ifNoneMatch: conditionalWrites,
        partSizeBytes, partConcurrency: this.options.partConcurrency,
      };
      for (let attempt = 1; ; attempt++) {
        try {
          await uploadStaged(this.client, target, staged);
          return ref;
        } catch (error) {
          if (!conditionalWrites || !isS3WriteConflict(error)) throw await this.mapped(error, 'put', key);
        }
        const existing = await this.headEntry(key, objectKey, { removeTorn: true });
        if (existing !== undefined) return this.putAgain(objectKey, existing.ref, ref);
        // 409: another conditional write of this key is still in progress; it may yet fail.
        if (attempt >= CONFLICT_ATTEMPTS) {
          throw new MillraceError('BLOB_CONFLICT', `blob "${key}" is being written by someone else`, { key });
        }
        await sleep(50 * attempt);
      }
    } finally {
      await staged.dispose();
    }
  }

  /**
   * A put of content already stored: the same content is a no-op that
   * refreshes its age (the port's "ageing": copying the object onto itself
   * with its metadata replaced is S3's only way to touch it; the new
   * metadata carries the time too, see `s3-object-metadata.ts`);
   * other content is `BLOB_CONFLICT`.
   */
  private async putAgain(objectKey: string, existing: BlobRef, wanted: BlobRef): Promise<BlobRef> {
    const ref = sameContentOrConflict(existing, wanted);
    if (ref.size > MAX_COPY_BYTES) return ref;
    const { bucket } = this.options;
    await this.call('put', ref.key, () => this.client.send(new CopyObjectCommand({
      Bucket: bucket, Key: objectKey, CopySource: `${bucket}/${encodeURIComponent(objectKey).replace(/%2F/g, '/')}`,
      MetadataDirective: 'REPLACE', Metadata: refreshedBlobMetadata(ref.size, ref.sha256, Date.now()),
    })));
    return ref;
  }

  /**
   * The blob at `key` and when it was last put, or undefined. For a put (`removeTorn`), an object
   * there without our metadata is the remains of a write cut off midway on
   * a server that is not atomic (a writer killed mid-upload; see
   * `hasBlobMetadata`): no read ever accepted it, so it is removed and the
   * put writes the key afresh. Every other caller gets `STORAGE_CORRUPT`.
   */
  private async headEntry(key: string, objectKey: string, options: { removeTorn?: boolean } = {}): Promise<BlobEntry | undefined> {
    let response;
    try {
      response = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: objectKey }));
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw await this.mapped(error, 'head', key);
    }
    if (options.removeTorn === true && !hasBlobMetadata(response.Metadata)) {
      await this.removeObject(key, objectKey, 'put');
      return undefined;
    }
    const { size, sha256 } = readBlobMetadata(key, response.Metadata, response.ContentLength);
    return { ref: { store: this.name, key, size, sha256 }, modifiedAt: modifiedAtOf(response.LastModified, response.Metadata, Date.now()) };
  }

  /** Deletes an object; one already gone is not an error (S3 itself says 204; some compatible servers say 404). */
  private async removeObject(key: string, objectKey: string, operation: S3ErrorContext['operation']): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: objectKey }));
    } catch (error) {
      if (!isS3NotFound(error)) throw await this.mapped(error, operation, key);
    }
  }

  /** The stored object's length, or `BLOB_NOT_FOUND`. */
  private async storedSize(key: string, objectKey: string): Promise<number> {
    const response = await this.call('getRange', key, () => this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: objectKey })));
    return response.ContentLength ?? 0;
  }

  /** Listed object keys turned into engine keys; objects this store could not have written are skipped. */
  private async *validKeys(listed: AsyncIterable<{ objectKey: string }>): AsyncGenerator<string> {
    const cut = this.options.prefix.length;
    try {
      for await (const { objectKey } of listed) {
        const key = objectKey.slice(cut);
        if (isValidBlobKey(key)) yield key; // folder markers ('a/'), foreign names
      }
    } catch (error) {
      throw await this.mapped(error, 'list', undefined);
    }
  }

  /** Validates `key` and prefixes it; the whole object key must fit S3's 1024-byte limit. */
  private objectKey(key: string): string {
    this.operations.assertOpen();
    assertValidBlobKey(key);
    const objectKey = this.options.prefix + key;
    if (Buffer.byteLength(objectKey, 'utf8') > MAX_BLOB_KEY_BYTES) {
      throw new MillraceError('BLOB_KEY_INVALID', `invalid blob key ${JSON.stringify(key)}: with the store prefix "${this.options.prefix}" it exceeds S3's ${MAX_BLOB_KEY_BYTES}-byte key limit`, { key });
    }
    return objectKey;
  }

  private objectKeyOf(ref: BlobRef): string {
    const objectKey = this.objectKey(ref.key);
    if (ref.store !== this.name) {
      throw new MillraceError('BLOB_NOT_FOUND', `ref for "${ref.key}" belongs to store "${ref.store}", not "${this.name}"`, { key: ref.key, store: ref.store });
    }
    return objectKey;
  }

  private async call<T>(operation: S3ErrorContext['operation'], key: string | undefined, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw await this.mapped(error, operation, key);
    }
  }

  private async mapped(error: unknown, operation: S3ErrorContext['operation'], key: string | undefined): Promise<MillraceError> {
    return toMillraceError(error, { operation, bucket: this.options.bucket, key, host: await this.host(), secrets: this.options.secrets });
  }

  /** `host[:port]` of the endpoint; asked of the client once when it was handed in. */
  private host(): Promise<string> {
    this.hostName ??= this.options.host !== undefined ? Promise.resolve(this.options.host) : clientHost(this.client);
    return this.hostName;
  }
}

function sameContentOrConflict(existing: BlobRef, wanted: BlobRef): BlobRef {
  if (existing.size === wanted.size && existing.sha256 === wanted.sha256) return existing;
  throw new MillraceError('BLOB_CONFLICT', `blob "${wanted.key}" already exists with different content`, {
    key: wanted.key, expected: existing.sha256, actual: wanted.sha256,
  });
}

async function clientHost(client: S3Client): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.();
    if (endpoint !== undefined) return endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
    return `s3.${await client.config.region()}.amazonaws.com`;
  } catch {
    return 'the configured S3 endpoint';
  }
}
