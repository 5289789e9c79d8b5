/**
 * `SqliteCheckpointStore`: the shared contract, plus what only SQLite can
 * show — a log append and a checkpoint committed in one transaction on a
 * shared database, and state damaged directly in the file.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { openSqlite, type SqliteDatabase } from '../../src/adapters/embedded/sqlite-database.js';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import type { LogRecord } from '../../src/ports/log.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { checkpointStoreContract } from './checkpoint-store.contract.js';

checkpointStoreContract('SqliteCheckpointStore', async () => {
  const dir = createTempDir();
  const path = dir.file('checkpoints.db');
  let store = new SqliteCheckpointStore({ path });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteCheckpointStore({ path });
      return store;
    },
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
});

void describe('SqliteCheckpointStore', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = createTempDir();
  });
  afterEach(() => dir.remove());

  void describe('on a database shared with SqliteLog', () => {
    let db: SqliteDatabase;
    let log: SqliteLog;
    let checkpoints: SqliteCheckpointStore;
    let clock: ManualClock;
    const state = Uint8Array.from([1, 2, 3]);

    beforeEach(async () => {
      db = openSqlite({ path: dir.file('streams.db'), component: 'host', migrations: [] });
      clock = new ManualClock(0);
      log = new SqliteLog({ database: db, clock });
      checkpoints = new SqliteCheckpointStore({ database: db, clock });
      await log.createTopic('out', { partitions: 1 });
    });
    afterEach(async () => {
      await log.close();
      await checkpoints.close();
      db.close();
    });

    void it('commits output records and the checkpoint together, or neither', async () => {
      const raw = new Database(db.name, { readonly: true });
      try {
        const countRecords = raw.prepare('SELECT count(*) AS n FROM millrace_log_records');
        let seenMidway: unknown;
        const commitBoth = db.transaction((expectedVersion: number) => {
          log.appendSync('out', [{ value: 'total=6' }]);
          seenMidway = countRecords.get();
          return checkpoints.commitSync('sum', { state, offsets: { 'in/0': 10 }, expectedVersion });
        });

        assert.equal(commitBoth.immediate(0), 1);
        assert.deepEqual(seenMidway, { n: 0 }, 'another connection never sees the records without the checkpoint');
        assert.deepEqual(countRecords.get(), { n: 1 });

        assert.throws(() => commitBoth.immediate(0), (e) => hasCode(e, 'CHECKPOINT_CONFLICT'));
        assert.deepEqual((await log.topicInfo('out')).endOffsets, [1], 'the fenced-out commit appended nothing');
        assert.deepEqual((await log.read('out', 0, 0)).map((r) => r.value), ['total=6']);
        assert.deepEqual((await checkpoints.load('sum'))?.offsets, { 'in/0': 10 });
      } finally {
        raw.close();
      }
    });

    void it('wakes a tail on a joint commit, and a rolled-back append delivers nothing', async () => {
      const controller = new AbortController();
      const seen: LogRecord[] = [];
      const done = (async () => {
        for await (const record of log.tail('out', 0, 0, { signal: controller.signal })) seen.push(record);
      })();
      await settle();
      await checkpoints.commit('sum', { state, offsets: {}, expectedVersion: 0 });
      const commitBoth = db.transaction((value: string, expectedVersion: number) => {
        log.appendSync('out', [{ value }]);
        checkpoints.commitSync('sum', { state, offsets: {}, expectedVersion });
      });

      assert.throws(() => commitBoth.immediate('stale', 0), (e) => hasCode(e, 'CHECKPOINT_CONFLICT'));
      await settle();
      assert.equal(seen.length, 0, 'nothing was committed, so nothing is delivered');
      assert.equal(clock.pendingTimers, 1, 'still waiting');

      commitBoth.immediate('fresh', 1);
      await settle();
      assert.deepEqual(seen.map((r) => [r.offset, r.value]), [[0, 'fresh']]);
      controller.abort();
      await done;
      assert.equal(clock.pendingTimers, 0);
    });

    void it('tracks each component\'s migrations and leaves the borrowed database open', async () => {
      const events = new SqliteEventStore({ database: db });
      await events.close();
      await log.close();
      await checkpoints.close();
      assert.ok(db.open);
      const rows = db.prepare('SELECT component, version FROM millrace_migrations ORDER BY component').all();
      assert.deepEqual(rows, [
        { component: 'checkpoint-store', version: 1 },
        { component: 'event-store', version: 1 },
        { component: 'log', version: 1 },
      ]);
    });
  });

  void it('detects state damaged in the file with STORAGE_CORRUPT', async () => {
    const path = dir.file('checkpoints.db');
    const store = new SqliteCheckpointStore({ path });
    try {
      await store.commit('p', { state: Uint8Array.from([1, 2, 3]), offsets: { 't/0': 4 }, expectedVersion: 0 });
      const raw = new Database(path);
      raw.prepare('UPDATE millrace_checkpoints SET state = ? WHERE pipeline = ?').run(Buffer.from([1, 2, 4]), 'p');
      raw.close();
      await assert.rejects(store.load('p'), (e) => hasCode(e, 'STORAGE_CORRUPT') && (e as { details: { pipeline?: string } }).details.pipeline === 'p');
    } finally {
      await store.close();
    }
  });

  void it('stamps commits with the injected clock and refuses malformed offsets', async () => {
    const store = new SqliteCheckpointStore({ path: dir.file('checkpoints.db'), clock: new ManualClock(42) });
    try {
      await store.commit('p', { state: new Uint8Array(0), offsets: {}, expectedVersion: 0 });
      assert.equal((await store.load('p'))?.committedAt, 42);
      await assert.rejects(store.commit('p', { state: new Uint8Array(0), offsets: { 't/0': -1 }, expectedVersion: 1 }), (e) => hasCode(e, 'CONFIG_INVALID'));
      await assert.rejects(store.commit('p', { state: new Uint8Array(0), offsets: { 't/0': Number.NaN }, expectedVersion: 1 }), (e) => hasCode(e, 'CONFIG_INVALID'));
    } finally {
      await store.close();
    }
  });

  void it('works on a shared in-memory database, refuses a closed one, and rejects calls once closed', async () => {
    const memory = openSqlite({ path: ':memory:', component: 'host', migrations: [] });
    const shared = new SqliteCheckpointStore({ database: memory });
    assert.equal(await shared.commit('p', { state: new Uint8Array([1]), offsets: { 't/0': 1 }, expectedVersion: 0 }), 1);
    await shared.close();
    assert.equal(memory.open, true, 'a borrowed database stays open');
    memory.close();
    assert.throws(() => new SqliteCheckpointStore({ database: memory }), (e) => hasCode(e, 'CONFIG_INVALID'));
    const store = new SqliteCheckpointStore({ path: dir.file('checkpoints.db') });
    await store.close();
    await store.close();
    await assert.rejects(store.load('p'), (e) => hasCode(e, 'CHECKPOINT_CLOSED'));
    await assert.rejects(store.commit('p', { state: new Uint8Array(0), offsets: {}, expectedVersion: 0 }), (e) => hasCode(e, 'CHECKPOINT_CLOSED'));
  });
});

/** Lets pending promise chains run: a few event-loop turns, no fixed sleep. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
