/** `millrace blobs gc`: removes orphan claim blobs past the TTL, keeps young ones, and a dry run removes nothing. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { blobFilePath } from '../../src/adapters/embedded/blob-file-format.js';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { checkIn } from '../../src/workers/claim-check.js';
import { createTempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function millrace(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MILLRACE_')));
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], { encoding: 'utf8', env: { ...inherited, MILLRACE_LOG_LEVEL: 'silent' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('millrace blobs gc', () => {
  it('removes orphans older than --ttl, keeps the rest, and --dry-run only reports', async () => {
    const dir = createTempDir('millrace-cli-gc-');
    try {
      const dataDir = dir.file('data');
      const blobs = new FileBlobStore({ root: `${dataDir}/blobs` });
      const old = (await checkIn({ padding: 'o'.repeat(2000) }, blobs, 1024)) as { $claim: { key: string } };
      const young = (await checkIn({ padding: 'y'.repeat(2000) }, blobs, 1024)) as { $claim: { key: string } };
      await blobs.put('inputs/mine.txt', Buffer.from('the user’s own'));
      await blobs.close();
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      utimesSync(blobFilePath(`${dataDir}/blobs`, old.$claim.key), twoHoursAgo, twoHoursAgo);
      utimesSync(blobFilePath(`${dataDir}/blobs`, 'inputs/mine.txt'), twoHoursAgo, twoHoursAgo);

      const dry = millrace(['blobs', 'gc', '--ttl', '1h', '--dry-run', '--json', '--data-dir', dataDir]);
      assert.equal(dry.status, 0, dry.stderr);
      const report = JSON.parse(dry.stdout) as { dryRun: boolean; ttlMs: number; removed: Array<{ key: string }>; kept: Array<{ key: string; reason: string }> };
      assert.equal(report.dryRun, true);
      assert.equal(report.ttlMs, 3_600_000);
      assert.deepEqual(report.removed.map((b) => b.key), [old.$claim.key]);
      assert.deepEqual(report.kept, [{ key: young.$claim.key, reason: 'young' }]);

      const real = millrace(['blobs', 'gc', '--ttl', '1h', '--data-dir', dataDir]);
      assert.equal(real.status, 0, real.stderr);
      assert.match(real.stdout, new RegExp(`^removed ${old.$claim.key} \\(`, 'm'));
      assert.match(real.stdout, /removed 1 blob\(s\), \d+ bytes, older than 1 h; kept 1 \(1 young\)/);

      const reopened = new FileBlobStore({ root: `${dataDir}/blobs` });
      try {
        assert.equal(await reopened.head(old.$claim.key), undefined);
        assert.ok(await reopened.head(young.$claim.key));
        assert.ok(await reopened.head('inputs/mine.txt'), 'outside the engine prefixes nothing is touched');
      } finally {
        await reopened.close();
      }
      const bad = millrace(['blobs', 'gc', '--ttl', '10s', '--data-dir', dataDir]);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /at least 60000 ms/);
    } finally {
      dir.remove();
    }
  });
});
