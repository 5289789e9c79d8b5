import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { GroupCommit } from '../../../src/adapters/embedded/group-commit.js';
import { openSqlite } from '../../../src/adapters/embedded/sqlite-database.js';
import { createTempDir } from '../../helpers/temp-dir.js';

/** SQLite's `synchronous` as a job sees it: 2 is FULL (fsync at commit), 1 is NORMAL. */
const SYNCHRONOUS = (db: ReturnType<typeof openSqlite>) => () => db.pragma('synchronous', { simple: true }) as number;

void describe('GroupCommit', () => {
  void it('commits a turn of work in one transaction, fsyncs a batch holding durable work, and leaves the connection at FULL', async () => {
    const dir = createTempDir('millrace-group-commit-');
    const db = openSqlite({ path: dir.file('g.db'), component: 'test', migrations: [{ version: 1, name: 'init', sql: 'CREATE TABLE t (v INTEGER)' }] });
    const commits = new GroupCommit(db, new ManualClock(0), 'test db');
    try {
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      const [visibleOnly] = await Promise.all([commits.submit(SYNCHRONOUS(db), 'write', 'visible'), commits.submit(() => insert.run(1), 'write', 'visible')]);
      assert.equal(visibleOnly, 1, 'a batch of only visible work commits without fsync (NORMAL)');
      assert.equal(db.pragma('synchronous', { simple: true }), 2, 'and the connection is back to FULL for anyone else committing on it');

      const [mixed] = await Promise.all([commits.submit(SYNCHRONOUS(db), 'late', 'visible'), commits.submit(() => insert.run(2))]);
      assert.equal(mixed, 2, 'one durable job makes the whole batch FULL');
      assert.equal(await commits.submit(SYNCHRONOUS(db)), 2, 'durable is the default');
      assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').pluck().all(), [1, 2]);
    } finally {
      commits.close();
      db.close();
      dir.remove();
    }
  });
});
