/**
 * @module queries/mzml/import-mzml
 * `millrace dataset import`: an mzML run becomes one file of a dataset, in
 * one streaming pass. Each MS1 spectrum is one scan; its points are binned
 * on a uniform m/z axis (a bin's value is the sum of the intensities of
 * the points whose m/z falls in it: [mzMin + b·step, mzMin + (b+1)·step)).
 * Other MS levels are counted and skipped; points outside the axis are
 * counted and dropped.
 *
 * The axis is `mzMin`/`mzMax` when given, else the first MS1 spectrum's
 * scan window; `bins` sets the resolution.
 */
import type { BlobStore } from '../../ports/blob-store.js';
import { addFiles, findDataset, type DatasetRevision } from '../dataset/dataset-catalog.js';
import { assertName, fileKey } from '../dataset/manifest.js';
import type { ScanRow } from '../format/dataset-file-encoder.js';
import { writeDatasetFile } from '../format/write-dataset-file.js';
import { queryError } from '../query-errors.js';
import { MzmlParser, type MzmlSpectrum } from './mzml-parser.js';

export interface ImportMzmlOptions {
  blobs: BlobStore;
  dataset: string;
  fileId: string;
  /** For messages and the manifest: the file's name. */
  sourceName: string;
  /** The mzML bytes (decompressed). */
  source: AsyncIterable<Uint8Array>;
  mzMin?: number;
  mzMax?: number;
  /** @defaultValue 20 000 */
  bins?: number;
  tileRows?: number;
  tileCols?: number;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  spectra: number;
  ms1: number;
}

export interface ImportReport {
  revision: DatasetRevision;
  spectra: number;
  ms1: number;
  /** Spectra of other MS levels. */
  skipped: number;
  /** Points outside [mzMin, mzMax). */
  pointsOutside: number;
}

export const DEFAULT_IMPORT_BINS = 20_000;

export async function importMzml(options: ImportMzmlOptions): Promise<ImportReport> {
  const { blobs, dataset, fileId, sourceName } = options;
  assertName(dataset, 'dataset name');
  assertName(fileId, 'file id');
  const existing = await findDataset(blobs, dataset);
  if (existing?.manifest.files.some((f) => f.id === fileId) === true) {
    throw queryError('DATASET_EXISTS', `dataset ${dataset} already has a file ${fileId} (use --file-id to name this one)`, { dataset, file: fileId });
  }
  const spectra = readSpectra(options);
  const first = await spectra.nextMs1();
  if (first === undefined) throw queryError('DATASET_INVALID', `${sourceName}: no MS1 spectra`, { source: sourceName });
  const mzMin = options.mzMin ?? first.window?.lower;
  const mzMax = options.mzMax ?? first.window?.upper;
  if (mzMin === undefined || mzMax === undefined) throw queryError('DATASET_INVALID', `${sourceName}: the first MS1 spectrum gives no scan window; give --mz-min and --mz-max`, { source: sourceName });
  const bins = options.bins ?? DEFAULT_IMPORT_BINS;
  if (!(Number.isFinite(mzMin) && Number.isFinite(mzMax) && mzMin < mzMax)) throw queryError('DATASET_INVALID', `${sourceName}: m/z axis [${mzMin}, ${mzMax}) is empty or not finite`, { source: sourceName });
  if (!Number.isInteger(bins) || bins < 1 || bins > 50_000_000) throw queryError('DATASET_INVALID', `${sourceName}: bins must be an integer from 1 to 50000000, got ${bins}`, { source: sourceName });
  const step = (mzMax - mzMin) / bins;
  let pointsOutside = 0;
  let previousRt = -Infinity;

  const bin = (s: MzmlSpectrum): ScanRow => {
    if (s.rtSeconds < previousRt) throw queryError('DATASET_INVALID', `${sourceName}: spectrum ${s.id} has scan start time ${s.rtSeconds} s, before the previous MS1 spectrum's ${previousRt} s`, { source: sourceName });
    previousRt = s.rtSeconds;
    const row = new Float64Array(bins);
    for (let k = 0; k < s.mz.length; k++) {
      const v = s.intensity[k]!;
      if (!(v >= 0) || v === Infinity) throw queryError('DATASET_INVALID', `${sourceName}: spectrum ${s.id}, point ${k}: intensity ${v} must be finite and ≥ 0`, { source: sourceName });
      const b = Math.floor((s.mz[k]! - mzMin) / step);
      if (b >= 0 && b < bins) row[b] = row[b]! + v;
      else pointsOutside++;
    }
    return { rt: s.rtSeconds, cells: Float32Array.from(row) };
  };
  async function* rows(): AsyncIterable<ScanRow> {
    yield bin(first!);
    for (let s = await spectra.nextMs1(); s !== undefined; s = await spectra.nextMs1()) yield bin(s);
  }

  const { ref, summary } = await writeDatasetFile(blobs, fileKey(dataset, fileId), { bins, mzLo: mzMin, mzStep: step, tileRows: options.tileRows, tileCols: options.tileCols }, rows());
  const counts = spectra.counts();
  const revision = await addFiles(blobs, dataset, [{
    id: fileId, ref, scans: summary.geometry.scans, bins, rtMin: summary.rtMin, rtMax: summary.rtMax, mzMin, mzMax: mzMin + step * bins,
    source: { kind: 'mzML', file: sourceName, spectra: counts.spectra },
  }]);
  return { revision, spectra: counts.spectra, ms1: counts.ms1, skipped: counts.spectra - counts.ms1, pointsOutside };
}

/** Pulls bytes only as spectra are needed, so the file streams through. */
function readSpectra(options: ImportMzmlOptions): { nextMs1(): Promise<MzmlSpectrum | undefined>; counts(): ImportProgress } {
  const parser = new MzmlParser(options.sourceName);
  const iterator = options.source[Symbol.asyncIterator]();
  const pending: MzmlSpectrum[] = [];
  let ended = false;
  let total = 0;
  let ms1 = 0;
  return {
    async nextMs1() {
      for (;;) {
        const s = pending.shift();
        if (s !== undefined) {
          total++;
          if (s.msLevel === 1) {
            ms1++;
            options.onProgress?.({ spectra: total, ms1 });
            return s;
          }
          continue;
        }
        if (ended) return undefined;
        const next = await iterator.next();
        if (next.done === true) {
          ended = true;
          pending.push(...parser.end());
        } else {
          pending.push(...parser.write(next.value));
        }
      }
    },
    counts: () => ({ spectra: total, ms1 }),
  };
}
