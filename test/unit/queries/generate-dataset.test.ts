/** Synthetic runs and the dataset catalog: deterministic data, LC-MS-like shape, manifests checked on the way in and out. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticRun } from '../../../src/queries/generate/synthetic-run.js';
import { generateDataset, shapeFor } from '../../../src/queries/generate/generate-dataset.js';
import { addFiles, getDataset, listDatasets, removeDataset } from '../../../src/queries/dataset/dataset-catalog.js';
import { openDatasetFile } from '../../../src/queries/format/dataset-file-reader.js';
import { MemoryBlobStore } from './memory-blob-store.js';

describe('SyntheticRun', () => {
  it('is deterministic per seed and scan, whatever the order scans are made in', () => {
    const a = new SyntheticRun({ seed: 42, scans: 100, bins: 500 });
    const b = new SyntheticRun({ seed: 42, scans: 100, bins: 500 });
    const late = b.scan(70);
    assert.deepEqual(a.scan(70), late);
    assert.deepEqual(a.scan(3), b.scan(3));
    assert.notDeepEqual(new SyntheticRun({ seed: 43, scans: 100, bins: 500 }).scan(70).cells, late.cells);
  });

  it('looks like LC-MS: increasing scan times, sparse noise, elution peaks far above it', () => {
    const run = new SyntheticRun({ seed: 5, scans: 300, bins: 2000, compounds: 40 });
    let previous = -Infinity;
    let zeros = 0;
    let top = 0;
    const tic: number[] = [];
    for (let s = 0; s < run.scans; s++) {
      const { rt, cells } = run.scan(s);
      assert.ok(rt > previous);
      previous = rt;
      let total = 0;
      for (const v of cells) {
        if (v === 0) zeros++;
        top = Math.max(top, v);
        total += v;
      }
      tic.push(total);
    }
    assert.ok(zeros / (300 * 2000) > 0.6 && zeros / (300 * 2000) < 0.8, `about 70% empty cells, got ${zeros / 6e5}`);
    assert.ok(top > 1000 * 50, 'peaks stand far above the noise (mean 50)');
    const sorted = [...tic].sort((x, y) => x - y);
    assert.ok(sorted.at(-1)! > 3 * sorted[150]!, 'the total ion current has elution peaks');
  });

  it('shapes files as about eight bins per scan', () => {
    assert.deepEqual(shapeFor(200e6), { scans: 2500, bins: 20000 });
    assert.deepEqual(shapeFor(1), { scans: 16, bins: 16 });
  });
});

describe('generateDataset and the catalog', () => {
  it('writes the files, then a manifest listing them with their axes, and a group "all"', async () => {
    const blobs = new MemoryBlobStore();
    const progress: number[] = [];
    const revision = await generateDataset({ blobs, name: 'synth', files: 3, scans: 40, bins: 120, seed: 9, onProgress: (p) => progress.push(p.scansDone) });
    assert.equal(progress.at(-1), 120);
    const { manifest } = await getDataset(blobs, 'synth');
    assert.deepEqual(manifest, revision.manifest);
    assert.deepEqual(manifest.files.map((f) => f.id), ['run-001', 'run-002', 'run-003']);
    assert.deepEqual(manifest.groups, { all: ['run-001', 'run-002', 'run-003'] });
    const first = manifest.files[0]!;
    assert.equal(first.ref.key, 'datasets/synth/files/run-001.mrt');
    const file = await openDatasetFile(blobs, first.ref);
    assert.equal(file.rt[0], first.rtMin);
    assert.equal(file.rt[39], first.rtMax);
    assert.ok(Math.abs(first.mzMax - 2000) < 1e-9 && first.mzMin === 100);
    // The same command gives the same bytes.
    const again = new MemoryBlobStore();
    await generateDataset({ blobs: again, name: 'synth', files: 3, scans: 40, bins: 120, seed: 9 });
    assert.deepEqual(again.blobs.get(first.ref.key), blobs.blobs.get(first.ref.key));
  });

  it('refuses to overwrite a dataset, bad names and sizes', async () => {
    const blobs = new MemoryBlobStore();
    await generateDataset({ blobs, name: 'one', files: 1, scans: 16, bins: 16 });
    await assert.rejects(generateDataset({ blobs, name: 'one', files: 1, scans: 16, bins: 16 }), { code: 'DATASET_EXISTS' });
    await assert.rejects(generateDataset({ blobs, name: '../x', files: 1 }), { code: 'DATASET_INVALID', message: /dataset name "..\/x" must be/ });
    await assert.rejects(generateDataset({ blobs, name: 'two', files: 0 }), { code: 'QUERY_INVALID', message: /files must be an integer/ });
    await assert.rejects(getDataset(blobs, 'nope'), { code: 'DATASET_NOT_FOUND', message: 'no dataset named nope' });
  });

  it('adds files as a new revision, lists the newest, removes manifests and files', async () => {
    const blobs = new MemoryBlobStore();
    const first = await generateDataset({ blobs, name: 'grow', files: 1, scans: 16, bins: 16 });
    const entry = { ...first.manifest.files[0]!, id: 'extra' };
    const second = await addFiles(blobs, 'grow', [entry], { groups: { mine: ['extra'] } });
    assert.equal(second.manifest.revision, 2);
    assert.deepEqual(second.manifest.groups, { all: ['run-001', 'extra'], mine: ['extra'] });
    await assert.rejects(addFiles(blobs, 'grow', [entry]), { code: 'DATASET_EXISTS', message: /already has a file extra/ });
    await assert.rejects(addFiles(blobs, 'grow', [{ ...entry, id: 'x' }], { groups: { bad: ['ghost'] } }), { code: 'DATASET_INVALID', message: /groups\.bad must be a non-empty list of file ids/ });
    assert.deepEqual((await listDatasets(blobs)).map((d) => [d.manifest.name, d.manifest.revision]), [['grow', 2]]);
    assert.equal(await removeDataset(blobs, 'grow'), 3);
    assert.equal(blobs.blobs.size, 0);
    await assert.rejects(removeDataset(blobs, 'grow'), { code: 'DATASET_NOT_FOUND' });
  });

  it('refuses a damaged manifest with the field named', async () => {
    const blobs = new MemoryBlobStore();
    await blobs.put('datasets/bad/manifest/00000001.json', Buffer.from(JSON.stringify({ format: 'millrace.dataset', version: 1, name: 'bad', revision: 1, files: [], groups: {} })));
    await assert.rejects(getDataset(blobs, 'bad'), { code: 'DATASET_INVALID', message: 'manifest of dataset bad: files must be a non-empty array' });
    await blobs.put('datasets/bad2/manifest/00000001.json', Buffer.from('{not json'));
    await assert.rejects(getDataset(blobs, 'bad2'), { code: 'DATASET_INVALID', message: /is not valid JSON/ });
  });
});
