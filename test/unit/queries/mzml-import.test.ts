/**
 * mzML import: every encoding decoded, MS2 skipped, times in minutes
 * converted; queries over the imported file equal brute force over the
 * spectra's raw points binned on the same axis. Bad input fails naming
 * the spectrum.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { importMzml } from '../../../src/queries/mzml/import-mzml.js';
import { MzmlParser } from '../../../src/queries/mzml/mzml-parser.js';
import { QueryService } from '../../../src/queries/service/query-service.js';
import { createLocalStripRunner } from '../../../src/queries/service/strip-runner.js';
import type { QueryRequest } from '../../../src/queries/query/query-types.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { assertGridsClose, bruteForce, type RawFile } from './brute-force.js';
import { makeMzmlFixture, type MzmlFixture } from './mzml-fixture.js';

const BINS = 2000;

/** Streams a string in small pieces, splitting multi-byte characters and tags. */
async function* chunks(bytes: Uint8Array, size = 1000): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** The raw points of the MS1 spectra binned as the import documents it, by brute force. */
function rawOf(fixture: MzmlFixture): RawFile {
  const ms1 = fixture.spectra.filter((s) => s.msLevel === 1);
  const step = (fixture.window.upper - fixture.window.lower) / BINS;
  const rows = ms1.map((s) => {
    const row = new Float64Array(BINS);
    s.mz.forEach((mz, k) => {
      const b = Math.floor((mz - fixture.window.lower) / step);
      if (b >= 0 && b < BINS) row[b] = row[b]! + s.intensity[k]!;
    });
    return Float32Array.from(row);
  });
  return { rt: Float64Array.from(ms1, (s) => Number(String(s.rtSeconds / 60)) * 60), rows, mzLo: fixture.window.lower, mzStep: step };
}

describe('mzML import', () => {
  const fixture = makeMzmlFixture({ ms1: 120, seed: 9 });
  const blobs = new MemoryBlobStore();
  let service: QueryService;

  before(async () => {
    const report = await importMzml({ blobs, dataset: 'ms', fileId: 'fixture', sourceName: 'fixture.mzML', source: chunks(Buffer.from(fixture.xml)), bins: BINS, tileRows: 16, tileCols: 64 });
    assert.deepEqual([report.spectra, report.ms1, report.skipped], [160, 120, 40]);
    assert.ok(report.pointsOutside > 0, 'noise points outside the scan window are counted');
    service = new QueryService({ blobs, runner: createLocalStripRunner(blobs), targetStripBytes: 16 * 1024 });
  });

  it('records the file with its axes in the manifest', async () => {
    const { manifest } = await service.dataset('ms');
    const entry = manifest.files[0]!;
    assert.deepEqual([entry.id, entry.scans, entry.bins, entry.mzMin, entry.mzMax], ['fixture', 120, BINS, 200, 1200]);
    assert.deepEqual(entry.source, { kind: 'mzML', file: 'fixture.mzML', spectra: 160 });
    assert.equal(entry.rtMin, rawOf(fixture).rt[0]);
  });

  it('answers heatmaps, chromatograms and spectra as brute force over the raw points does', async () => {
    const raw = rawOf(fixture);
    const requests: Array<[Omit<QueryRequest, 'dataset'>, string]> = [
      [{ kind: 'heatmap', files: ['fixture'], width: 40, height: 100, aggregate: 'max' }, 'heatmap max, zoomed out'],
      [{ kind: 'heatmap', files: ['fixture'], rtMin: 60, rtMax: 200, mzMin: 400, mzMax: 800, width: 50, height: 120, aggregate: 'sum' }, 'heatmap sum, window'],
      [{ kind: 'heatmap', files: ['fixture'], width: 30, height: 30, aggregate: 'mean' }, 'heatmap mean'],
      [{ kind: 'chromatogram', files: ['fixture'], mzMin: 500, mzMax: 700, width: 60 }, 'chromatogram'],
      [{ kind: 'spectrum', files: ['fixture'], rtMin: 100, rtMax: 140, height: 500 }, 'spectrum'],
    ];
    let coarse = false;
    for (const [request, label] of requests) {
      const result = await service.query({ ...request, dataset: 'ms' });
      coarse ||= result.levels[0]!.rt > 0 || result.levels[0]!.mz > 0;
      assertGridsClose(result.grid.values, bruteForce([raw], result.levels, result.grid.rt, result.grid.mz, result.query.aggregate), label);
    }
    assert.ok(coarse, 'some query used a coarse level');
  });

  it('reads plain (non-indexed) mzML and gzip-decompressed bytes the same way', async () => {
    const plain = makeMzmlFixture({ ms1: 20, seed: 2, indexed: false });
    const parser = new MzmlParser('plain.mzML');
    const spectra = [...parser.write(gunzipSync(plain.gzip)), ...parser.end()];
    assert.equal(spectra.length, plain.spectra.length);
    spectra.forEach((s, k) => {
      const expected = plain.spectra[k]!;
      assert.equal(s.msLevel, expected.msLevel);
      assert.deepEqual(s.mz, expected.mz, `m/z of ${s.id}`);
      assert.deepEqual(s.intensity, expected.intensity, `intensities of ${s.id}`);
      assert.ok(Math.abs(s.rtSeconds - expected.rtSeconds) < 1e-9);
    });
    assert.deepEqual(spectra[0]!.window, { lower: 200, upper: 1200 });
  });

  it('fails on what it cannot read, naming the spectrum', async () => {
    const parse = (xml: string): unknown => {
      const parser = new MzmlParser('bad.mzML');
      return [...parser.write(Buffer.from(xml)), ...parser.end()];
    };
    const one = makeMzmlFixture({ ms1: 1, seed: 1, indexed: false }).xml;
    assert.throws(() => parse(one.replace('MS:1000523', 'MS:1002312')), { code: 'DATASET_INVALID', message: /bad\.mzML: spectrum scan=1: MS-Numpress linear compression is not supported/ });
    assert.throws(() => parse(one.replace(/defaultArrayLength="\d+"/, 'defaultArrayLength="3"')), { code: 'DATASET_INVALID', message: /spectrum scan=1: the m\/z array holds \d+ values, the spectrum says 3/ });
    assert.throws(() => parse(one.replace(/<cvParam[^>]*MS:1000016[^>]*\/>/, '')), { message: /spectrum scan=1 has no scan start time/ });
    assert.throws(() => parse(one.replace('</spectrumList>', '')), { code: 'DATASET_INVALID', message: /not well-formed XML/ });
    assert.throws(() => parse('<html><body>hello</body></html>'), { message: /no <mzML> element/ });
    await assert.rejects(importMzml({ blobs: new MemoryBlobStore(), dataset: 'x', fileId: 'f', sourceName: 'w.mzML', source: chunks(Buffer.from(one.replace(/<scanWindowList[\s\S]*?<\/scanWindowList>/, ''))) }), { code: 'DATASET_INVALID', message: /no scan window; give --mz-min and --mz-max/ });
    await assert.rejects(importMzml({ blobs, dataset: 'ms', fileId: 'fixture', sourceName: 'again.mzML', source: chunks(Buffer.from(one)) }), { code: 'DATASET_EXISTS', message: /already has a file fixture/ });
  });
});
