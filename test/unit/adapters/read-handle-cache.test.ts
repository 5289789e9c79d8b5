/** Handles kept for ranged reads: shared, bounded, aged out, dropped on delete, closed only once unused. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { ReadHandleCache } from '../../../src/adapters/embedded/read-handle-cache.js';

function fakeFiles(): { open: (name: string) => () => Promise<FileHandle>; opened: string[]; closed: string[] } {
  const opened: string[] = [];
  const closed: string[] = [];
  return {
    opened,
    closed,
    open: (name) => async () => {
      opened.push(name);
      return { close: async () => void closed.push(name) } as unknown as FileHandle;
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReadHandleCache', () => {
  it('opens a file once for many reads, and again for other content under the same key', async () => {
    const files = fakeFiles();
    const cache = new ReadHandleCache();
    await Promise.all([1, 2, 3].map(() => cache.use('k', 'v1', files.open('k@v1'), async () => 1)));
    await cache.use('k', 'v1', files.open('k@v1'), async () => 1);
    await cache.use('k', 'v2', files.open('k@v2'), async () => 1);
    assert.deepEqual(files.opened, ['k@v1', 'k@v2']);
  });

  it('closes a dropped handle only once its last read ends', async () => {
    const files = fakeFiles();
    const cache = new ReadHandleCache();
    let finish!: () => void;
    const reading = cache.use('k', 'v', files.open('k'), () => new Promise<void>((resolve) => (finish = resolve)));
    await turn();
    cache.forget('k');
    await turn();
    assert.deepEqual(files.closed, [], 'still being read');
    finish();
    await reading;
    await turn();
    assert.deepEqual(files.closed, ['k']);
    await cache.use('k', 'v', files.open('k'), async () => 1);
    assert.deepEqual(files.opened, ['k', 'k'], 'a forgotten key is opened afresh');
  });

  it('keeps at most maxOpen handles, dropping the least recently used', async () => {
    const files = fakeFiles();
    const cache = new ReadHandleCache({ maxOpen: 2 });
    for (const name of ['a', 'b', 'a', 'c']) await cache.use(name, 'v', files.open(name), async () => 1);
    await turn();
    assert.equal(cache.size, 2);
    assert.deepEqual(files.closed, ['b']);
  });

  it('reopens a handle older than maxAgeMs, so a blob deleted elsewhere is noticed', async () => {
    const files = fakeFiles();
    let now = 0;
    const cache = new ReadHandleCache({ maxAgeMs: 1_000, now: () => now });
    await cache.use('k', 'v', files.open('k'), async () => 1);
    now = 999;
    await cache.use('k', 'v', files.open('k'), async () => 1);
    now = 1_001;
    await cache.use('k', 'v', files.open('k'), async () => 1);
    await turn();
    assert.deepEqual([files.opened.length, files.closed.length], [2, 1]);
  });

  it('drops a handle whose open or read failed, and passes the error on', async () => {
    const files = fakeFiles();
    const cache = new ReadHandleCache();
    await assert.rejects(cache.use('k', 'v', async () => { throw new Error('ENOENT'); }, async () => 1), /ENOENT/);
    await assert.rejects(cache.use('k', 'v', files.open('k'), async () => { throw new Error('EIO'); }), /EIO/);
    await cache.use('k', 'v', files.open('k'), async () => 1);
    await turn();
    assert.deepEqual([files.opened, files.closed], [['k', 'k'], ['k']]);
  });
});
