/**
 * `millrace dataset`: generate, import, list, describe and remove tiled
 * datasets. Datasets live in the embedded blob store under the data
 * directory (`<dataDir>/blobs`).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { getDataset, listDatasets, removeDataset } from '../../queries/dataset/dataset-catalog.js';
import { generateDataset } from '../../queries/generate/generate-dataset.js';
import { intOption } from '../parse.js';
import { createProgressBar } from '../progress.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';
import { withDatasetBlobs } from './dataset-blobs.js';
import { registerDatasetImport } from './dataset-import.js';

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `1GB`, `500MB`, `64MiB`, `1.5gb`, `4096`: a byte count. */
export function byteSizeOption(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (match === null || unit === undefined) throw new InvalidArgumentError(`expected a size such as 500MB, 1GB or 64MiB, got "${value}"`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 1024) throw new InvalidArgumentError(`expected at least 1KiB, got "${value}"`);
  return bytes;
}

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('generate, import, list, describe and remove tiled datasets (queried by heatmap, chromatogram, spectrum)');

  dataset
    .command('generate')
    .description('write synthetic LC-MS runs (Gaussian peaks, isotope envelopes, noise) as a new dataset; deterministic for a seed')
    .requiredOption('--dataset <name>', 'name of the new dataset')
    .option('--files <n>', 'files (runs) to generate', intOption(1, 10_000), 4)
    .option('--size <bytes>', 'base-grid bytes over all files (float32 cells), e.g. 200MB, 1GB', byteSizeOption, 64 * 2 ** 20)
    .option('--scans <n>', 'scans per file (overrides the shape derived from --size)', intOption(1, 2 ** 31 - 1))
    .option('--bins <n>', 'm/z bins per scan (overrides the shape derived from --size)', intOption(1, 2 ** 31 - 1))
    .option('--seed <n>', 'random seed', intOption(0, 2 ** 32 - 1), 1)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (flags: { dataset: string; files: number; size: number; scans?: number; bins?: number; seed: number; dataDir?: string }) =>
      withDatasetBlobs(flags.dataDir, async (blobs) => {
        const bar = createProgressBar('generate');
        const started = Date.now();
        const revision = await generateDataset({
          blobs, name: flags.dataset, files: flags.files, totalBytes: flags.size, scans: flags.scans, bins: flags.bins, seed: flags.seed,
          onProgress: (p) => bar.update(p.scansDone, p.scansTotal, `scans, file ${p.file + 1}/${p.files}`),
        });
        bar.finish();
        const stored = revision.manifest.files.reduce((sum, f) => sum + f.ref.size, 0);
        const first = revision.manifest.files[0]!;
        process.stdout.write(`${JSON.stringify({ dataset: flags.dataset, files: revision.manifest.files.length, scans: first.scans, bins: first.bins, storedBytes: stored, seconds: (Date.now() - started) / 1000 })}\n`);
      }));

  registerDatasetImport(dataset);

  dataset
    .command('ls')
    .description('list datasets: name, revision, files, stored bytes (JSON lines)')
    .option('--json', `${JSON_FLAG_HELP}: an array`)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (flags: { json?: boolean; dataDir?: string }) =>
      withDatasetBlobs(flags.dataDir, async (blobs) => {
        const list = (await listDatasets(blobs)).map(({ manifest }) => ({
          name: manifest.name, revision: manifest.revision, files: manifest.files.length, groups: Object.keys(manifest.groups),
          storedBytes: manifest.files.reduce((sum, f) => sum + f.ref.size, 0), createdAt: manifest.createdAt,
        }));
        if (flags.json) printJson(list);
        else for (const entry of list) process.stdout.write(`${JSON.stringify(entry)}\n`);
      }));

  dataset
    .command('info')
    .description('the manifest of a dataset: files with their axes, groups')
    .argument('<name>', 'dataset name')
    .option('--json', `${JSON_FLAG_HELP} (the manifest is JSON either way)`)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (name: string, flags: { dataDir?: string }) =>
      withDatasetBlobs(flags.dataDir, async (blobs) => printJson((await getDataset(blobs, name)).manifest)));

  dataset
    .command('rm')
    .description('remove a dataset and all its files')
    .argument('<name>', 'dataset name')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (name: string, flags: { dataDir?: string }) =>
      withDatasetBlobs(flags.dataDir, async (blobs) => {
        const removed = await removeDataset(blobs, name);
        process.stdout.write(`removed dataset ${name} (${removed} blobs)\n`);
      }));
}
