/**
 * Query answers equal a brute-force computation over the raw arrays (same
 * bounds, same binning), on generated data: heatmaps, chromatograms and
 * spectra; one file, several, a group; every aggregate; coarse levels and
 * the base; bounds inside and beyond the data.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateDataset } from '../../../src/queries/generate/generate-dataset.js';
import { openDatasetFile, type DatasetFile } from '../../../src/queries/format/dataset-file-reader.js';
import { normaliseQuery } from '../../../src/queries/query/normalise-query.js';
import { planQuery } from '../../../src/queries/plan/plan-query.js';
import { executePlan } from '../../../src/queries/service/execute-plan.js';
import { createLocalStripRunner } from '../../../src/queries/service/strip-runner.js';
import type { DatasetRevision } from '../../../src/queries/dataset/dataset-catalog.js';
import type { QueryRequest, QueryResult } from '../../../src/queries/query/query-types.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { assertGridsClose, bruteForce, rawSynthetic, type RawFile } from './brute-force.js';

const blobs = new MemoryBlobStore();
let revision: DatasetRevision;
const opened = new Map<string, DatasetFile>();
const raw = new Map<string, RawFile>();

async function run(request: Omit<QueryRequest, 'dataset'>, level?: { rt: number; mz: number }): Promise<QueryResult> {
  const query = normaliseQuery({ ...request, dataset: 'lcms' }, revision);
  const plan = planQuery(query, query.files.map((id) => opened.get(id)!), { queryId: 'q', deadlineAt: Number.MAX_SAFE_INTEGER, targetStripBytes: 32 * 1024, level });
  return executePlan(query, plan, createLocalStripRunner(blobs), { deadlineAt: Number.MAX_SAFE_INTEGER });
}

function check(result: QueryResult, label: string): void {
  const expected = bruteForce(result.query.files.map((id) => raw.get(id)!), result.levels, result.grid.rt, result.grid.mz, result.query.aggregate);
  assertGridsClose(result.grid.values, expected, label);
}

describe('query answers against brute force', () => {
  before(async () => {
    revision = await generateDataset({ blobs, name: 'lcms', files: 3, scans: 300, bins: 2500, tileRows: 16, tileCols: 64, seed: 11 });
    for (const entry of revision.manifest.files) {
      opened.set(entry.id, await openDatasetFile(blobs, entry.ref));
      raw.set(entry.id, rawSynthetic(entry));
    }
  });

  it('heatmap of one file, whole range, each aggregate, on coarse levels, in several strips', async () => {
    for (const aggregate of ['max', 'sum', 'mean'] as const) {
      const result = await run({ kind: 'heatmap', files: ['run-002'], width: 60, height: 100, aggregate });
      assert.ok(result.levels[0]!.rt > 0 && result.levels[0]!.mz > 0, `a zoomed-out view uses a coarse level (got ${JSON.stringify(result.levels[0])})`);
      assert.ok(result.stats.subtasks > 1, 'the view is split into strips');
      assert.deepEqual([result.grid.rt.n, result.grid.mz.n], [60, 100]);
      check(result, `heatmap ${aggregate}`);
    }
  });

  it('heatmap zoomed into a window: the same answer at the chosen level and at the base level', async () => {
    const window = { rtMin: 900, rtMax: 2100, mzMin: 400.5, mzMax: 1210.25 };
    const auto = await run({ kind: 'heatmap', files: ['run-001'], ...window, width: 40, height: 64, aggregate: 'max' });
    check(auto, 'zoomed, chosen level');
    const base = await run({ kind: 'heatmap', files: ['run-001'], ...window, width: 40, height: 64, aggregate: 'sum' }, { rt: 0, mz: 0 });
    assert.deepEqual(base.levels, [{ file: 'run-001', rt: 0, mz: 0 }]);
    check(base, 'zoomed, base level');
  });

  it('several files and a named group are averaged slot by slot', async () => {
    const two = await run({ kind: 'heatmap', files: ['run-003', 'run-001'], width: 50, height: 50, aggregate: 'mean' });
    assert.deepEqual(two.query.files, ['run-001', 'run-003']);
    check(two, 'two files, mean');
    const group = await run({ kind: 'heatmap', group: 'all', rtMin: 100, rtMax: 3000, width: 30, height: 80, aggregate: 'max' });
    assert.equal(group.levels.length, 3);
    check(group, 'group all, max');
  });

  it('chromatogram over an m/z window and spectrum over an RT window', async () => {
    const xic = await run({ kind: 'chromatogram', files: ['run-002'], mzMin: 700, mzMax: 760, width: 120, aggregate: 'sum' });
    assert.equal(xic.grid.mz.n, 1);
    check(xic, 'chromatogram sum');
    const tic = await run({ kind: 'chromatogram', group: 'all', aggregate: 'max' });
    check(tic, 'chromatogram of the group, max');
    const spectrum = await run({ kind: 'spectrum', files: ['run-003'], rtMin: 1500, rtMax: 1560, height: 300, aggregate: 'mean' });
    assert.equal(spectrum.grid.rt.n, 1);
    check(spectrum, 'spectrum mean');
  });

  it('bounds beyond the data: slots there are 0, the rest still match', async () => {
    const result = await run({ kind: 'heatmap', files: ['run-001'], rtMin: -1000, rtMax: 2000, mzMin: 50, mzMax: 600, width: 30, height: 40, aggregate: 'sum' });
    check(result, 'beyond the data');
    assert.equal(result.grid.values[0], 0, 'no data before RT 0');
  });

  it('zoomed in past the base resolution: fewer slots than pixels, each holding a cell', async () => {
    const result = await run({ kind: 'heatmap', files: ['run-001'], rtMin: 1000, rtMax: 1060, mzMin: 500, mzMax: 505, width: 512, height: 512, aggregate: 'max' });
    assert.deepEqual(result.levels, [{ file: 'run-001', rt: 0, mz: 0 }]);
    assert.ok(result.grid.rt.n < 512 && result.grid.rt.n >= 3, `RT slots ${result.grid.rt.n}`);
    assert.ok(result.grid.mz.n < 512 && result.grid.mz.n >= 5, `m/z slots ${result.grid.mz.n}`);
    check(result, 'zoomed past the base');
  });

  it('cuts strips whose answers would not fit in a queue message, whatever maxStrips says, and still answers exactly', async () => {
    const query = normaliseQuery({ kind: 'heatmap', dataset: 'lcms', files: ['run-002'], width: 300, height: 600, aggregate: 'sum' }, revision);
    const plan = planQuery(query, [opened.get('run-002')!], { queryId: 'q', deadlineAt: Number.MAX_SAFE_INTEGER, maxStrips: 1, targetStripBytes: 1 << 30, maxStripAnswerBytes: 64 * 1024 });
    assert.ok(plan.strips.length > 1, `${plan.strips.length} strips`);
    for (const strip of plan.strips) assert.ok(strip.width * strip.height * 4 <= 64 * 1024, `strip ${strip.strip}: ${strip.width} × ${strip.height} slots`);
    check(await executePlan(query, plan, createLocalStripRunner(blobs), { deadlineAt: Number.MAX_SAFE_INTEGER }), 'narrow strips');
  });

  it('a zoomed-out view reads at most 4× the cells it returns', async () => {
    const result = await run({ kind: 'heatmap', files: ['run-001'], width: 64, height: 128, aggregate: 'max' });
    const returned = result.grid.rt.n * result.grid.mz.n * 4;
    assert.ok(result.stats.bytesRead <= 4 * returned, `read ${result.stats.bytesRead} bytes for ${returned} bytes of slots`);
    check(result, 'zoomed out');
  });
});
