/**
 * @module adapters/s3/s3-listing
 * The two halves of `S3BlobStore.list`: paging through `ListObjectsV2`, and
 * turning keys into refs with a bounded window of `HeadObject` requests.
 *
 * Why a `HEAD` per key: a listing gives key, size and ETag, never user
 * metadata, and the ETag is not a SHA-256 (an MD5 for single-part uploads
 * without KMS, an opaque "md5-of-md5s-N" for multipart ones). So a ref's
 * hash costs one `HEAD`: listing n keys is ⌈n/1000⌉ `LIST` + n `HEAD`
 * requests. The window keeps that from being n round trips in a row while
 * keeping refs in key order.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { compareBlobKeys } from '../common/blob-key.js';

/** One listed object. */
export interface ListedObject {
  objectKey: string;
  size: number | undefined;
}

/**
 * Every object under `prefix`, page by page. S3 lists in UTF-8 byte order
 * and the store's promise of key order rests on that, so a server that
 * breaks it makes this fail (`onOutOfOrder`) rather than yield refs out of order.
 */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  pageSize: number,
  onOutOfOrder: (previous: string, next: string) => Error,
): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  let previous: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ContinuationToken: token }));
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      if (previous !== undefined && compareBlobKeys(previous, item.Key) >= 0) throw onOutOfOrder(previous, item.Key);
      previous = item.Key;
      yield { objectKey: item.Key, size: item.Size };
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/**
 * Maps `source` through `fn` with up to `concurrency` calls in flight,
 * yielding results in source order. If the consumer stops early, calls in
 * flight finish in the background (their failures are ignored) and the
 * source is closed.
 */
export async function* mapOrdered<T, R>(source: AsyncIterable<T>, concurrency: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const window: Array<Promise<R>> = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && window.length < concurrency) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const pending = fn(next.value);
        pending.catch(() => undefined); // handled when its turn comes; ignored if it never does
        window.push(pending);
      }
      const head = window.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}
