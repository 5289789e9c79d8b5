/**
 * `SqliteEventStore`: the shared contract, plus what only SQLite can show —
 * two handles on one file (two processes), a borrowed database, id clashes.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { openSqlite } from '../../src/adapters/embedded/sqlite-database.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { eventStoreContract } from './event-store.contract.js';

eventStoreContract('SqliteEventStore', async () => {
  const dir = createTempDir();
  const path = dir.file('events.db');
  let store = new SqliteEventStore({ path });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteEventStore({ path });
      return store;
    },
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
});

void describe('SqliteEventStore', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = createTempDir();
  });
  afterEach(() => dir.remove());

  void it('serialises appends from two handles on one file (two processes)', async () => {
    const path = dir.file('events.db');
    const one = new SqliteEventStore({ path });
    const two = new SqliteEventStore({ path });
    try {
      await one.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      const results = await Promise.allSettled([
        one.append('s', [{ type: 'B', data: 'one' }], 1),
        two.append('s', [{ type: 'B', data: 'two' }], 1),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      await assert.rejects(two.append('s', [{ type: 'C', data: 2 }], 1), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT'));
      assert.deepEqual(await two.readAll(), await one.readAll());
      assert.equal(await two.streamVersion('s'), 2);
    } finally {
      await one.close();
      await two.close();
    }
  });

  void it('refuses an id already stored elsewhere, and a batch repeating an id, writing nothing', async () => {
    const store = new SqliteEventStore({ path: dir.file('events.db') });
    try {
      await store.append('a', [{ id: 'x', type: 'A', data: 1 }], 'no-stream');
      await assert.rejects(store.append('b', [{ id: 'x', type: 'A', data: 1 }], 'no-stream'), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT') && (e as { details: { eventId?: string } }).details.eventId === 'x');
      await assert.rejects(store.append('a', [{ id: 'y', type: 'B', data: 2 }, { id: 'x', type: 'A', data: 1 }], 1), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT'));
      await assert.rejects(store.append('c', [{ id: 'z', type: 'C', data: 3 }, { id: 'z', type: 'C', data: 3 }], 'no-stream'), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT'));
      assert.deepEqual((await store.readAll()).map((e) => e.id), ['x']);
    } finally {
      await store.close();
    }
  });

  void it('stamps events with the injected clock', async () => {
    const store = new SqliteEventStore({ path: dir.file('events.db'), clock: new ManualClock(1_700_000_000_000) });
    try {
      await store.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      assert.equal((await store.read('s'))[0]!.recordedAt, 1_700_000_000_000);
    } finally {
      await store.close();
    }
  });

  void it('uses a borrowed database without closing it, migrations tracked per component', async () => {
    const db = openSqlite({ path: dir.file('shared.db'), component: 'host', migrations: [] });
    try {
      const store = new SqliteEventStore({ database: db });
      await store.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      await store.close();
      assert.ok(db.open, 'a borrowed database stays open');
      const components = db.prepare('SELECT component, version FROM millrace_migrations ORDER BY component').all();
      assert.deepEqual(components, [{ component: 'event-store', version: 1 }]);
      const again = new SqliteEventStore({ database: db });
      assert.equal(await again.streamVersion('s'), 1);
      await again.close();
    } finally {
      db.close();
    }
  });

  void it('rejects every call once closed', async () => {
    const store = new SqliteEventStore({ path: dir.file('events.db') });
    await store.close();
    await store.close();
    for (const call of [() => store.append('s', [], 'any'), () => store.read('s'), () => store.readAll(), () => store.streamVersion('s')]) {
      await assert.rejects(call(), (e) => hasCode(e, 'EVENT_STORE_CLOSED'));
    }
  });
});
