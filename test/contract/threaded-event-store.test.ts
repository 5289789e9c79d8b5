/**
 * `ThreadedEventStore`: the shared contract, plus what the thread adds —
 * errors and clock stamps crossing it unchanged, a value JSON cannot hold
 * refused in the caller, and a database that will not open.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { ThreadedEventStore } from '../../src/adapters/embedded/threaded-event-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { MillraceError, hasCode } from '../../src/core/errors.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { eventStoreContract } from './event-store.contract.js';

eventStoreContract('ThreadedEventStore', async () => {
  const dir = createTempDir();
  const path = dir.file('events.db');
  let store = await ThreadedEventStore.open({ path });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await ThreadedEventStore.open({ path });
      return store;
    },
    cleanup: async () => {
      await store.close();
      dir.remove();
    },
  };
});

void describe('ThreadedEventStore', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = createTempDir();
  });
  afterEach(() => dir.remove());

  void it('returns the version conflict as the MillraceError the store threw, with its details', async () => {
    const store = await ThreadedEventStore.open({ path: dir.file('events.db') });
    try {
      await store.append('s', [{ id: 'x', type: 'A', data: 1 }], 'no-stream');
      const error = await store.append('t', [{ id: 'x', type: 'A', data: 1 }], 'no-stream').then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof MillraceError);
      assert.equal(error.code, 'EVENT_STORE_VERSION_CONFLICT');
      assert.equal(error.details.eventId, 'x');
    } finally {
      await store.close();
    }
  });

  void it('refuses a value JSON cannot hold in the caller, with the error the store in-process gives', async () => {
    const store = await ThreadedEventStore.open({ path: dir.file('events.db') });
    try {
      const local = new SqliteEventStore({ path: dir.file('local.db') });
      const inProcess = await local.append('s', [{ type: 'A', data: { big: 1n } }], 'no-stream').then(() => undefined, (e: unknown) => e);
      await local.close();
      await assert.rejects(store.append('s', [{ type: 'A', data: { big: 1n } }], 'no-stream'), (e) => e instanceof Error && e.constructor === (inProcess as Error).constructor && e.message === (inProcess as Error).message);
      assert.equal(await store.streamVersion('s'), 0);
    } finally {
      await store.close();
    }
  });

  void it("stamps events with the caller's clock", async () => {
    const store = await ThreadedEventStore.open({ path: dir.file('events.db'), clock: new ManualClock(1_700_000_000_000) });
    try {
      await store.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      assert.equal((await store.read('s'))[0]!.recordedAt, 1_700_000_000_000);
    } finally {
      await store.close();
    }
  });

  void it('shares the file with an in-process store (another process, say)', async () => {
    const path = dir.file('events.db');
    const threaded = await ThreadedEventStore.open({ path });
    const local = new SqliteEventStore({ path });
    try {
      await threaded.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      await assert.rejects(local.append('s', [{ type: 'B', data: 2 }], 0), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT'));
      await local.append('s', [{ type: 'B', data: 2 }], 1);
      assert.deepEqual((await threaded.read('s')).map((e) => e.data), [1, 2]);
    } finally {
      await local.close();
      await threaded.close();
    }
  });

  void it('fails to open a file that is not a database, naming it, and leaves no thread behind', async () => {
    const path = dir.file('events.db');
    writeFileSync(path, 'this is not a SQLite database, it is a text file that is long enough to have a header');
    await assert.rejects(ThreadedEventStore.open({ path }), (e) => e instanceof MillraceError && e.message.includes(path));
  });

  void it('rejects every call once closed', async () => {
    const store = await ThreadedEventStore.open({ path: dir.file('events.db') });
    await store.close();
    await store.close();
    for (const call of [() => store.append('s', [], 'any'), () => store.read('s'), () => store.readAll(), () => store.streamVersion('s')]) {
      await assert.rejects(call(), (e) => hasCode(e, 'EVENT_STORE_CLOSED'));
    }
  });
});
