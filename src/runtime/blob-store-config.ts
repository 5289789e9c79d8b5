/**
 * @module runtime/blob-store-config
 * A blob store described as data, so that every worker thread (and, in a
 * cluster, every process) can open its own connection to the same store.
 */
import { MillraceError } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import { FileBlobStore } from '../adapters/embedded/file-blob-store.js';

/** Where blobs live: a folder, or an S3 URL (`s3://bucket/prefix?endpoint=…`, credentials from the AWS SDK's chain). */
export type BlobStoreConfig = { kind: 'fs'; root: string } | { kind: 's3'; url: string };

/**
 * Opens the store a config describes. The S3 client is loaded only when
 * asked for: an embedded engine's threads need not pay for the AWS SDK.
 */
export async function openBlobStore(config: BlobStoreConfig): Promise<BlobStore> {
  switch (config.kind) {
    case 'fs':
      return new FileBlobStore({ root: config.root });
    case 's3': {
      const { S3BlobStore, parseS3Url } = await import('../adapters/s3/index.js');
      return new S3BlobStore(parseS3Url(config.url));
    }
    default:
      throw new MillraceError('CONFIG_INVALID', `unknown blob store kind "${(config as { kind: unknown }).kind}"`);
  }
}
