/**
 * @module runtime/blob-store-config
 * A blob store described as data, so that every worker thread (and, in a
 * cluster, every process) can open its own connection to the same store.
 */
import { MillraceError } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import { FileBlobStore } from '../adapters/embedded/file-blob-store.js';

/** Where blobs live. */
export type BlobStoreConfig = { kind: 'fs'; root: string };

/** Opens the store a config describes. */
export function openBlobStore(config: BlobStoreConfig): BlobStore {
  switch (config.kind) {
    case 'fs':
      return new FileBlobStore({ root: config.root });
    default:
      throw new MillraceError('CONFIG_INVALID', `unknown blob store kind "${(config as { kind: unknown }).kind}"`);
  }
}
