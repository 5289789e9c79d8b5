/**
 * @module millrace/s3
 * The S3 blob store for cluster mode: `S3BlobStore` on AWS S3 or any
 * S3-compatible server, and `parseS3Url` for configuring it from one URL.
 * Credentials come from the AWS SDK's chain, never from the URL.
 *
 * @example
 * ```ts
 * import { S3BlobStore, parseS3Url } from 'millrace/s3'
 * const blobs = new S3BlobStore(parseS3Url('s3://my-bucket/millrace?region=eu-west-1'))
 * ```
 */
export { S3BlobStore } from './s3-blob-store.js';
export type { S3BlobStoreOptions } from './s3-blob-store-options.js';
export { parseS3Url, type S3UrlOptions } from './s3-url.js';
