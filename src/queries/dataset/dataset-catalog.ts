/**
 * @module queries/dataset/dataset-catalog
 * Datasets in a `BlobStore`: list, read, add files, remove.
 *
 * ```
 * datasets/<name>/files/<file id>.mrt          one blob per file (immutable)
 * datasets/<name>/manifest/00000001.json       revision 1
 * datasets/<name>/manifest/00000002.json       revision 2: the dataset now
 * ```
 *
 * A dataset appears when its first manifest is written, after its files:
 * a reader never sees a manifest naming a file that is not there yet.
 * Two writers racing for the same revision collide on the immutable key
 * (`BLOB_CONFLICT`); the loser re-reads and tries the next revision.
 */
import { hasCode } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import type { BlobRef, BlobStore } from '../../ports/blob-store.js';
import { queryError } from '../query-errors.js';
import { assertName, manifestKey, nextManifest, parseManifest, type DatasetFileEntry, type DatasetManifest } from './manifest.js';

/** A manifest and the blob it was read from (its hash identifies the revision's content). */
export interface DatasetRevision {
  manifest: DatasetManifest;
  ref: BlobRef;
}

const MANIFEST_KEY = /^datasets\/([^/]+)\/manifest\/(\d{8})\.json$/;
const MANIFEST_MAX_BYTES = 16 * 1024 * 1024;
const WRITE_ATTEMPTS = 5;

/** The newest revision of every dataset, by name. */
export async function listDatasets(blobs: BlobStore): Promise<DatasetRevision[]> {
  const newest = new Map<string, BlobRef>();
  for await (const ref of blobs.list('datasets/')) {
    const match = MANIFEST_KEY.exec(ref.key);
    if (match !== null) newest.set(match[1]!, ref); // keys come in order: the last one per name is the newest
  }
  const out: DatasetRevision[] = [];
  for (const [name, ref] of newest) out.push({ manifest: await readManifest(blobs, name, ref), ref });
  return out;
}

/** The newest revision of `name`, or `undefined`. */
export async function findDataset(blobs: BlobStore, name: string): Promise<DatasetRevision | undefined> {
  assertName(name, 'dataset name');
  let newest: BlobRef | undefined;
  for await (const ref of blobs.list(`datasets/${name}/manifest/`)) if (MANIFEST_KEY.test(ref.key)) newest = ref;
  return newest === undefined ? undefined : { manifest: await readManifest(blobs, name, newest), ref: newest };
}

/** @throws `DATASET_NOT_FOUND` */
export async function getDataset(blobs: BlobStore, name: string): Promise<DatasetRevision> {
  const found = await findDataset(blobs, name);
  if (found === undefined) throw queryError('DATASET_NOT_FOUND', `no dataset named ${name}`, { dataset: name });
  return found;
}

/**
 * Writes the next revision with `files` added (their blobs must already be
 * stored). With `create`, the dataset must not exist yet.
 * @throws `DATASET_EXISTS` when creating over an existing dataset or adding a file id twice
 */
export async function addFiles(blobs: BlobStore, name: string, files: readonly DatasetFileEntry[], options: { create?: boolean; groups?: Record<string, string[]> } = {}): Promise<DatasetRevision> {
  assertName(name, 'dataset name');
  for (let attempt = 1; ; attempt++) {
    const previous = await findDataset(blobs, name);
    if (options.create === true && previous !== undefined) throw queryError('DATASET_EXISTS', `dataset ${name} already exists (remove it first, or import into it)`, { dataset: name });
    const manifest = nextManifest(name, previous?.manifest, files, options.groups);
    try {
      const ref = await blobs.put(manifestKey(name, manifest.revision), Buffer.from(JSON.stringify(manifest, null, 1)));
      return { manifest, ref };
    } catch (error) {
      if (!hasCode(error, 'BLOB_CONFLICT') || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/** Removes every blob of a dataset, manifests first (so it disappears before its files do). Returns the blobs removed. */
export async function removeDataset(blobs: BlobStore, name: string): Promise<number> {
  assertName(name, 'dataset name');
  const keys: string[] = [];
  for await (const ref of blobs.list(`datasets/${name}/`)) keys.push(ref.key);
  if (keys.length === 0) throw queryError('DATASET_NOT_FOUND', `no dataset named ${name}`, { dataset: name });
  const manifests = keys.filter((k) => MANIFEST_KEY.test(k)).reverse();
  for (const key of manifests) await blobs.delete(key);
  for (const key of keys.filter((k) => !MANIFEST_KEY.test(k))) await blobs.delete(key);
  return keys.length;
}

async function readManifest(blobs: BlobStore, name: string, ref: BlobRef): Promise<DatasetManifest> {
  if (ref.size > MANIFEST_MAX_BYTES) throw queryError('DATASET_INVALID', `manifest ${ref.key} is ${ref.size} bytes, over the ${MANIFEST_MAX_BYTES}-byte limit`, { dataset: name });
  try {
    return parseManifest(decodeJson(await blobs.get(ref), { maxBytes: MANIFEST_MAX_BYTES }), name);
  } catch (error) {
    if (hasCode(error, 'CODEC_INVALID_JSON')) throw queryError('DATASET_INVALID', `manifest ${ref.key} is not valid JSON`, { dataset: name }, { cause: error });
    throw error;
  }
}
