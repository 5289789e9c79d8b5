import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { SqliteTaskQueue } from '../../src/adapters/embedded/sqlite-task-queue.js';
import { createMillrace } from '../../src/runtime/millrace.js';
import { createTempDir } from '../helpers/temp-dir.js';

void describe('embedded data directory', () => {
  void it('keeps the queue and the event store in one file, jobs.db, in a new directory', async () => {
    const dir = createTempDir('millrace-files-');
    try {
      const millrace = await createMillrace({ dataDir: dir.path, logLevel: 'silent' });
      await millrace.events.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      await millrace.queue.publish('q', { name: 'n', payload: 1 });
      await millrace.close();
      assert.ok(existsSync(dir.file('jobs.db')));
      assert.ok(!existsSync(dir.file('events.db')) && !existsSync(dir.file('queue.db')), 'no separate files');
      const events = new SqliteEventStore({ path: dir.file('jobs.db') });
      assert.equal(await events.streamVersion('s'), 1, 'the event is in jobs.db');
      await events.close();
    } finally {
      dir.remove();
    }
  });

  void it('goes on using queue.db and events.db in a directory written before they shared a file: nothing is lost', async () => {
    const dir = createTempDir('millrace-files-');
    try {
      const events = new SqliteEventStore({ path: dir.file('events.db') });
      await events.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      await events.close();
      const queue = new SqliteTaskQueue({ path: dir.file('queue.db') });
      await queue.publish('q', { name: 'n', payload: 1 });
      await queue.close();

      const millrace = await createMillrace({ dataDir: dir.path, logLevel: 'silent' });
      try {
        assert.equal(await millrace.events.streamVersion('s'), 1, 'the old event is read');
        assert.equal((await millrace.queue.stats('q')).ready, 1, 'the old message is still queued');
      } finally {
        await millrace.close();
      }
      assert.ok(!existsSync(dir.file('jobs.db')), 'no new file beside the old ones');
    } finally {
      dir.remove();
    }
  });
});
