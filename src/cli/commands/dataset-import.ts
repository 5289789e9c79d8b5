/** `millrace dataset import <file.mzML[.gz]> --dataset NAME`: one mzML run into a dataset, streamed, with progress. */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError, type Command } from 'commander';
import { importMzml, DEFAULT_IMPORT_BINS } from '../../queries/mzml/import-mzml.js';
import { queryError } from '../../queries/query-errors.js';
import { MillraceError } from '../../core/errors.js';
import { intOption } from '../parse.js';
import { createProgressBar } from '../progress.js';
import { withDatasetBlobs } from './dataset-blobs.js';

function numberOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

/** A file id from a file name: `run 7.mzML.gz` → `run-7`. */
export function fileIdFor(path: string): string {
  const stem = basename(path).replace(/\.gz$/i, '').replace(/\.mzml$/i, '');
  return stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 64) || 'run';
}

export function registerDatasetImport(dataset: Command): void {
  dataset
    .command('import')
    .description('import an mzML run (plain or .gz; zlib or uncompressed arrays; 32/64-bit floats) as a file of a dataset (created if new)')
    .argument('<file>', 'the .mzML or .mzML.gz file')
    .requiredOption('--dataset <name>', 'dataset to add the file to')
    .option('--file-id <id>', 'file id in the dataset (default: from the file name)')
    .option('--mz-min <mz>', 'lower edge of the m/z axis (default: the first MS1 scan window)', numberOption)
    .option('--mz-max <mz>', 'upper edge of the m/z axis (default: the first MS1 scan window)', numberOption)
    .option('--mz-bins <n>', 'm/z bins', intOption(1, 50_000_000), DEFAULT_IMPORT_BINS)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (file: string, flags: { dataset: string; fileId?: string; mzMin?: number; mzMax?: number; mzBins: number; dataDir?: string }) => {
      const info = await stat(file).catch(() => {
        throw new MillraceError('INPUT_NOT_FOUND', `cannot read ${file}`, { file });
      });
      if (!info.isFile()) throw new MillraceError('INPUT_NOT_FOUND', `cannot read ${file}: not a regular file`, { file });
      const size = info.size;
      const gzipped = await isGzip(file);
      let read = 0;
      const bar = createProgressBar('import');
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          read += chunk.length;
          done(null, chunk);
        },
      });
      // pipeline: an error in any stage (a truncated .gz) ends the import with it.
      const stages: NodeJS.ReadWriteStream[] = gzipped ? [counter, createGunzip()] : [counter];
      const source = pipeline([createReadStream(file), ...stages], () => {}) as unknown as AsyncIterable<Uint8Array>;
      await withDatasetBlobs(flags.dataDir, async (blobs) => {
        const started = Date.now();
        const report = await importMzml({
          blobs, dataset: flags.dataset, fileId: flags.fileId ?? fileIdFor(file), sourceName: basename(file), source,
          mzMin: flags.mzMin, mzMax: flags.mzMax, bins: flags.mzBins,
          onProgress: (p) => bar.update(read, size, `bytes, ${p.ms1} MS1 of ${p.spectra} spectra`),
        }).catch((error: unknown) => {
          const code = String((error as { code?: unknown }).code);
          if (code.startsWith('Z_')) throw queryError('DATASET_INVALID', `${file}: the gzip data is damaged or truncated (${(error as Error).message})`, { file });
          throw error;
        });
        bar.update(size, size, `bytes, ${report.ms1} MS1 of ${report.spectra} spectra`);
        bar.finish();
        const entry = report.revision.manifest.files.at(-1)!;
        process.stdout.write(`${JSON.stringify({ dataset: flags.dataset, file: entry.id, revision: report.revision.manifest.revision, spectra: report.spectra, ms1: report.ms1, skipped: report.skipped, pointsOutside: report.pointsOutside, scans: entry.scans, bins: entry.bins, mzMin: entry.mzMin, mzMax: entry.mzMax, storedBytes: entry.ref.size, seconds: (Date.now() - started) / 1000 })}\n`);
      });
    });
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
