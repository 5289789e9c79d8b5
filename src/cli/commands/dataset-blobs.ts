/** The blob store `millrace dataset` commands work in: the embedded one under the data directory (`<dataDir>/blobs`). */
import { join } from 'node:path';
import type { BlobStore } from '../../ports/blob-store.js';
import { openBlobStore } from '../../runtime/blob-store-config.js';
import { resolveConfig } from '../../runtime/config.js';

/** Opens the blob store of the data directory, runs `work`, closes the store. */
export async function withDatasetBlobs<T>(dataDir: string | undefined, work: (blobs: BlobStore) => Promise<T>): Promise<T> {
  const config = resolveConfig({ dataDir, logLevel: 'warn' });
  const blobs = await openBlobStore({ kind: 'fs', root: join(config.dataDir, 'blobs') });
  try {
    return await work(blobs);
  } finally {
    await blobs.close();
  }
}
