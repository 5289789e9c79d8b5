/**
 * Runs the BlobStore contract against `FileBlobStore`, then what only a file
 * system store can get wrong: crashes mid-write, stale temp files, symlinks
 * planted to escape the root, damaged headers, stray files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blobFilePath } from '../../src/adapters/embedded/blob-file-format.js';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { assertSameBytes, blobStoreContract } from './blob-store.contract.js';

blobStoreContract('fs', async () => {
  const dir = createTempDir('millrace-blobs-');
  return {
    store: new FileBlobStore({ root: dir.path }),
    corrupt: async (key, mode) => {
      const path = blobFilePath(dir.path, key);
      const size = statSync(path).size;
      if (mode === 'truncate') {
        truncateSync(path, size - 1);
        return;
      }
      const content = readFileSync(path);
      content[size - 1]! ^= 0x01; // the last byte is always content, never header
      writeFileSync(path, content);
    },
    cleanup: async () => dir.remove(),
  };
});

void describe('FileBlobStore on the file system', () => {
  let dir: TempDir;
  let store: FileBlobStore;

  beforeEach(() => {
    dir = createTempDir('millrace-blobs-');
    store = new FileBlobStore({ root: dir.path });
  });

  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  void it('shows nothing of a writer killed mid-write, and cleans its temp file once stale', async () => {
    await killWriterMidWrite(dir.path, 'crashed/blob');
    const temps = readdirSync(join(dir.path, 'tmp'));
    assert.equal(temps.length, 1, 'the killed writer left its temp file');

    const reopened = new FileBlobStore({ root: dir.path });
    assert.equal(await reopened.head('crashed/blob'), undefined);
    assert.deepEqual(await collect(reopened.list('')), []);
    assert.equal(readdirSync(join(dir.path, 'tmp')).length, 1, 'a fresh temp file may belong to a live writer');
    const ref = await reopened.put('crashed/blob', new Uint8Array([1, 2, 3]));
    assertSameBytes(await reopened.get(ref), new Uint8Array([1, 2, 3]));
    await reopened.close();

    const later = new FileBlobStore({ root: dir.path, clock: new ManualClock(Date.now() + 2 * 3_600_000) });
    assert.deepEqual(readdirSync(join(dir.path, 'tmp')), [], 'a temp file older than an hour is removed at start');
    await later.close();
  });

  void it('removes only temp files older than the limit', async () => {
    const tmp = join(dir.path, 'tmp');
    writeFileSync(join(tmp, 'old.tmp'), 'partial');
    writeFileSync(join(tmp, 'new.tmp'), 'partial');
    writeFileSync(join(tmp, 'other.txt'), 'not ours');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(tmp, 'old.tmp'), twoHoursAgo, twoHoursAgo);
    const reopened = new FileBlobStore({ root: dir.path });
    assert.deepEqual(readdirSync(tmp).sort(), ['new.tmp', 'other.txt']);
    await reopened.close();
  });

  void it('never exposes files it did not publish', async () => {
    const ref = await store.put('p/real', new Uint8Array([9]));
    const blobs = dirname(blobFilePath(dir.path, 'p/real'));
    writeFileSync(join(blobs, 'half-written.tmp'), 'partial');
    writeFileSync(join(blobs, 'notes.txt'), 'stray');
    writeFileSync(join(blobs, '...blob'), 'stray'); // would decode to the key segment '..'
    mkdirSync(join(blobs, 'plain-dir'));
    assert.deepEqual(await collect(store.list('')), [ref]);
  });

  void it('keeps keys that look like its own file names apart', async () => {
    const keys = ['a', 'a.d', 'a.blob', 'a/x', 'a.d/x', 'a.blob/x', 'a.tmp'];
    const refs = [];
    for (const [i, key] of keys.entries()) refs.push(await store.put(key, new Uint8Array([i])));
    for (const [i, ref] of refs.entries()) assertSameBytes(await store.get(ref), new Uint8Array([i]), ref.key);
    assert.deepEqual((await collect(store.list(''))).map((r) => r.key), [...keys].sort());
  });

  void it('refuses a directory symlink planted to escape the root', async () => {
    const outside = createTempDir('millrace-outside-');
    try {
      const victim = new FileBlobStore({ root: outside.path });
      await victim.put('secret', new Uint8Array([42]));
      await victim.close();
      const blobsDir = dirname(blobFilePath(dir.path, 'x'));
      symlinkSync(dirname(blobFilePath(outside.path, 'secret')), join(blobsDir, 'evil.d'));

      await rejectsWith(store.head('evil/secret'), 'BLOB_KEY_INVALID');
      await rejectsWith(store.put('evil/new', new Uint8Array([1])), 'BLOB_KEY_INVALID');
      await rejectsWith(store.put('evil/deeper/new', new Uint8Array([1])), 'BLOB_KEY_INVALID');
      await rejectsWith(store.delete('evil/secret'), 'BLOB_KEY_INVALID');
      await rejectsWith(collect(store.list('evil/')), 'BLOB_KEY_INVALID');
      assert.deepEqual(await collect(store.list('')), [], 'list does not follow the link');
      assert.deepEqual(readdirSync(dirname(blobFilePath(outside.path, 'secret'))), ['secret.blob'], 'nothing written outside');
    } finally {
      outside.remove();
    }
  });

  void it('refuses a blob file that is a symlink', async () => {
    const outside = createTempDir('millrace-outside-');
    try {
      const victim = new FileBlobStore({ root: outside.path });
      const secret = await victim.put('secret', new Uint8Array([42]));
      await victim.close();
      symlinkSync(blobFilePath(outside.path, 'secret'), blobFilePath(dir.path, 'link'));
      await rejectsWith(store.head('link'), 'BLOB_KEY_INVALID');
      await rejectsWith(store.get({ ...secret, key: 'link' }), 'BLOB_KEY_INVALID');
      await rejectsWith(store.put('link', new Uint8Array([42])), 'BLOB_KEY_INVALID');
    } finally {
      outside.remove();
    }
  });

  void it('reports a damaged header as STORAGE_CORRUPT rather than a wrong ref', async () => {
    await store.put('hdr', new Uint8Array(100));
    const path = blobFilePath(dir.path, 'hdr');
    const content = readFileSync(path);
    content[20]! ^= 0x01; // inside the recorded hash
    writeFileSync(path, content);
    await rejectsWith(store.head('hdr'), 'STORAGE_CORRUPT');
  });

  void it('refuses a key segment too long for a file name', async () => {
    await rejectsWith(store.put('ok/' + 'x'.repeat(241), new Uint8Array(1)), 'BLOB_KEY_INVALID');
    await store.put('ok/' + 'x'.repeat(240), new Uint8Array(1));
  });

  void it('removes directories a delete leaves empty, and a put after that still works', async () => {
    await store.put('deep/er/still', new Uint8Array([1]));
    await store.delete('deep/er/still');
    assert.equal(existsSync(join(dir.path, 'blobs', 'deep.d')), false);
    await store.put('deep/er/again', new Uint8Array([2]));
    assertSameBytes(await store.get((await store.head('deep/er/again'))!), new Uint8Array([2]));
  });

  void it('refuses refs of another store', async () => {
    const ref = await store.put('mine', new Uint8Array([1]));
    await rejectsWith(store.get({ ...ref, store: 's3' }), 'BLOB_NOT_FOUND');
  });
});

/**
 * Starts a child process that streams a blob forever and SIGKILLs it once
 * its temp file holds data: a real crash, not a simulated one.
 */
async function killWriterMidWrite(root: string, key: string): Promise<void> {
  const storeModule = fileURLToPath(new URL('../../src/adapters/embedded/file-blob-store.ts', import.meta.url));
  const script = `
    import { FileBlobStore } from ${JSON.stringify(storeModule)};
    const store = new FileBlobStore({ root: ${JSON.stringify(root)} });
    async function* forever() { for (;;) { yield new Uint8Array(64 * 1024).fill(7); await new Promise((r) => setImmediate(r)); } }
    await store.put(${JSON.stringify(key)}, forever());
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tmp = join(root, 'tmp');
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const names = existsSync(tmp) ? readdirSync(tmp) : [];
      if (names.some((name) => statSync(join(tmp, name)).size > 1024 * 1024)) break;
      if (child.exitCode !== null) throw new Error(`writer exited early: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`writer never wrote: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => hasCode(error, code), `expected ${code}`);
}
