/** Worker threads recycled after N runs: a fresh thread takes over, nothing fails, the pool never runs short. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/workers/worker-pool.js';
import { createTempDir } from '../helpers/temp-dir.js';

const dir = createTempDir();

async function until(condition: () => boolean): Promise<void> {
  for (const started = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - started > 30_000) throw new Error('condition not met in time');
  }
}

describe('worker thread recycling', () => {
  after(() => dir.remove());

  it('replaces a thread after its 5th run; every run succeeds on a live thread', async () => {
    const pool = new WorkerPool({
      threadEntry: new URL('../../src/runtime/thread-main.ts', import.meta.url),
      threadData: { tasksModule: new URL('../fixtures/tasks.ts', import.meta.url).href, blobStore: { kind: 'fs', root: dir.file('blobs') }, claimCheckBytes: 1024, logLevel: 'silent' },
      size: 1,
      recycle: { afterRuns: 5 },
    });
    await pool.start();
    try {
      const threads: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        const outcome = await pool.run({ taskId: `recycle/${i}`, name: 'which-thread', input: null, attempt: 1 });
        assert.equal(outcome.ok, true, JSON.stringify(outcome));
        if (outcome.ok) threads.push(outcome.output);
        // The replacement starts in the background; runs meanwhile stay on the old thread. Wait for it, to see the turnover.
        if ((i + 1) % 5 === 0) await until(() => pool.stats.recycled === (i + 1) / 5);
      }
      // Runs 1–5 on the first thread, 6–10 on the second, …: four threads in all.
      assert.equal(new Set(threads).size, 4, `threads: ${threads.join(',')}`);
      assert.equal(pool.stats.recycled, 4);
      assert.ok(pool.stats.size <= 2, 'an old thread leaves once idle');
    } finally {
      await pool.close();
    }
  });
});
