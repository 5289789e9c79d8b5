/** `millrace dataset`: generate, ls, info, rm through the CLI, with its usage errors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createTempDir } from '../helpers/temp-dir.js';

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
