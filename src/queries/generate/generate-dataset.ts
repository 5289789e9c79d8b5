/**
 * @module queries/generate/generate-dataset
 * `millrace dataset generate`: synthetic runs written as a new dataset, for
 * tests, demos and benchmarks. File k of a dataset generated with seed S
 * is the run seeded `mixSeed(S, k)`, so the same command gives the same
 * bytes anywhere.
 */
import type { BlobStore } from '../../ports/blob-store.js';
import { addFiles, findDataset, type DatasetRevision } from '../dataset/dataset-catalog.js';
import { assertName, fileKey, type DatasetFileEntry } from '../dataset/manifest.js';
import { writeDatasetFile } from '../format/write-dataset-file.js';
import { queryError } from '../query-errors.js';
import { mixSeed } from './random.js';
import { SyntheticRun } from './synthetic-run.js';

export interface GenerateProgress {
  /** File being written, from 0. */
  file: number;
  files: number;
  /** Scans written over the whole dataset, and in all. */
  scansDone: number;
  scansTotal: number;
}

export interface GenerateDatasetOptions {
  blobs: BlobStore;
  name: string;
  files: number;
  /** Bytes of base grid (float32 cells) over all files; sets scans and bins unless given. @defaultValue 64 MiB */
  totalBytes?: number;
  scans?: number;
  bins?: number;
  /** @defaultValue 1 */
  seed?: number;
  tileRows?: number;
  tileCols?: number;
  onProgress?: (progress: GenerateProgress) => void;
  signal?: AbortSignal;
}

/** Largest dataset `generate` makes: 1 TiB of base grid. */
const MAX_TOTAL_BYTES = 2 ** 40;

/**
 * Scans × bins for a file of about `bytes` bytes of base grid: about eight
 * times more bins than scans, like an hour of LC-MS at a scan a second
 * binned at ~0.1 Th.
 */
export function shapeFor(bytes: number): { scans: number; bins: number } {
  const cells = Math.max(256, Math.floor(bytes / 4));
  const scans = Math.max(16, Math.round(Math.sqrt(cells / 8)));
  return { scans, bins: Math.max(16, Math.round(cells / scans)) };
}

/**
 * Generates a dataset of synthetic runs with a group `all`.
 * @throws `DATASET_EXISTS` when the name is taken
 */
export async function generateDataset(options: GenerateDatasetOptions): Promise<DatasetRevision> {
  const { blobs, name, files } = options;
  assertName(name, 'dataset name');
  if (!Number.isInteger(files) || files < 1 || files > 10_000) throw queryError('QUERY_INVALID', `files must be an integer from 1 to 10000, got ${files}`, { parameter: 'files' });
  const totalBytes = options.totalBytes ?? 64 * 1024 * 1024;
  if (!Number.isFinite(totalBytes) || totalBytes < 1024 || totalBytes > MAX_TOTAL_BYTES) throw queryError('QUERY_INVALID', `size must be from 1 KiB to 1 TiB, got ${totalBytes} bytes`, { parameter: 'size' });
  if ((await findDataset(blobs, name)) !== undefined) throw queryError('DATASET_EXISTS', `dataset ${name} already exists (remove it first)`, { dataset: name });
  const shape = shapeFor(totalBytes / files);
  const scans = options.scans ?? shape.scans;
  const bins = options.bins ?? shape.bins;
  const seed = options.seed ?? 1;
  const entries: DatasetFileEntry[] = [];
  let scansDone = 0;
  for (let k = 0; k < files; k++) {
    const id = `run-${String(k + 1).padStart(3, '0')}`;
    const fileSeed = mixSeed(seed, k);
    const run = new SyntheticRun({ seed: fileSeed, scans, bins });
    function* rows(): Iterable<ReturnType<SyntheticRun['scan']>> {
      for (let s = 0; s < scans; s++) {
        options.signal?.throwIfAborted();
        yield run.scan(s);
        scansDone++;
        if (s % 16 === 15 || s === scans - 1) options.onProgress?.({ file: k, files, scansDone, scansTotal: scans * files });
      }
    }
    const { ref, summary } = await writeDatasetFile(blobs, fileKey(name, id), { bins, mzLo: run.mzLo, mzStep: run.mzStep, tileRows: options.tileRows, tileCols: options.tileCols }, rows());
    entries.push({
      id, ref, scans, bins, rtMin: summary.rtMin, rtMax: summary.rtMax, mzMin: summary.mzLo, mzMax: summary.mzLo + summary.mzStep * bins,
      source: { kind: 'synthetic', seed: fileSeed },
    });
  }
  return addFiles(blobs, name, entries, { create: true });
}
