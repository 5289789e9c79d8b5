/** `millrace dataset`: generate, ls, info, rm through the CLI, with its usage errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createTempDir } from '../helpers/temp-dir.js';
import { makeMzmlFixture } from '../unit/queries/mzml-fixture.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function millrace(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('millrace dataset', () => {
  it('generates a dataset with progress, lists it, describes it and removes it', () => {
    const dir = createTempDir();
    try {
      const generated = millrace('dataset', 'generate', '--dataset', 'demo', '--files', '2', '--size', '400KB', '--seed', '3', '--data-dir', dir.path);
      assert.equal(generated.status, 0, generated.stderr);
      assert.match(generated.stderr, /generate: \d+\/\d+ scans, file 2\/2/);
      const summary = JSON.parse(generated.stdout) as { files: number; scans: number; bins: number; storedBytes: number };
      assert.deepEqual([summary.files, summary.scans, summary.bins], [2, 79, 633]);
      const ls = millrace('dataset', 'ls', '--data-dir', dir.path);
      assert.equal(ls.status, 0, ls.stderr);
      assert.deepEqual(JSON.parse(ls.stdout), { ...JSON.parse(ls.stdout), name: 'demo', revision: 1, files: 2, groups: ['all'], storedBytes: summary.storedBytes });
      const info = millrace('dataset', 'info', 'demo', '--data-dir', dir.path);
      assert.equal(info.status, 0, info.stderr);
      assert.deepEqual((JSON.parse(info.stdout) as { files: Array<{ id: string }> }).files.map((f) => f.id), ['run-001', 'run-002']);
      const again = millrace('dataset', 'generate', '--dataset', 'demo', '--size', '4KB', '--data-dir', dir.path);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /^millrace: DATASET_EXISTS: dataset demo already exists/);
      const rm = millrace('dataset', 'rm', 'demo', '--data-dir', dir.path);
      assert.equal(rm.status, 0, rm.stderr);
      assert.match(rm.stdout, /removed dataset demo \(3 blobs\)/);
      const missing = millrace('dataset', 'info', 'demo', '--data-dir', dir.path);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /^millrace: DATASET_NOT_FOUND: no dataset named demo/);
    } finally {
      dir.remove();
    }
  });

  it('imports a gzipped mzML run with progress, into a new dataset, then a second run into the same one', () => {
    const dir = createTempDir();
    try {
      const fixture = makeMzmlFixture({ ms1: 40, seed: 6 });
      writeFileSync(dir.file('run A.mzML.gz'), fixture.gzip);
      writeFileSync(dir.file('b.mzML'), fixture.xml);
      const first = millrace('dataset', 'import', dir.file('run A.mzML.gz'), '--dataset', 'ms', '--mz-bins', '500', '--data-dir', dir.path);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stderr, /import: \d+\/\d+ bytes, \d+ MS1 of \d+ spectra/);
      const report = JSON.parse(first.stdout) as Record<string, unknown>;
      assert.deepEqual([report.file, report.revision, report.ms1, report.skipped, report.scans, report.bins, report.mzMin, report.mzMax], ['run-A', 1, 40, 14, 40, 500, 200, 1200]);
      const second = millrace('dataset', 'import', dir.file('b.mzML'), '--dataset', 'ms', '--file-id', 'b', '--mz-min', '300', '--mz-max', '900', '--mz-bins', '100', '--data-dir', dir.path);
      assert.equal(second.status, 0, second.stderr);
      const info = JSON.parse(millrace('dataset', 'info', 'ms', '--data-dir', dir.path).stdout) as { revision: number; files: Array<{ id: string; mzMin: number }>; groups: Record<string, string[]> };
      assert.equal(info.revision, 2);
      assert.deepEqual(info.files.map((f) => [f.id, f.mzMin]), [['run-A', 200], ['b', 300]]);
      assert.deepEqual(info.groups.all, ['run-A', 'b']);
      const missing = millrace('dataset', 'import', dir.file('nope.mzML'), '--dataset', 'ms', '--data-dir', dir.path);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /INPUT_NOT_FOUND: cannot read .*nope\.mzML/);
    } finally {
      dir.remove();
    }
  });

  it('rejects bad sizes and names with one line', () => {
    const size = millrace('dataset', 'generate', '--dataset', 'x', '--size', 'huge');
    assert.equal(size.status, 2);
    assert.match(size.stderr, /--size <bytes>.*expected a size such as 500MB, 1GB or 64MiB, got "huge"/);
    const dir = createTempDir();
    try {
      const name = millrace('dataset', 'generate', '--dataset', '../etc', '--size', '4KB', '--data-dir', dir.path);
      assert.equal(name.status, 1);
      assert.match(name.stderr, /DATASET_INVALID: dataset name "..\/etc" must be/);
    } finally {
      dir.remove();
    }
  });
});
