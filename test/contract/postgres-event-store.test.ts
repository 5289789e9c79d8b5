/**
 * `PostgresEventStore` against the real server: the shared contract on a
 * fresh schema per test, plus what only a server shows: commit order under
 * concurrent writers, two processes racing on one stream, dropped
 * connections, credentials kept out of errors, concurrent migrations.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { ADVISORY_LOCK_CLASS } from '../../src/adapters/postgres/pg-schema.js';
import { PostgresEventStore, type PostgresEventStoreOptions } from '../../src/adapters/postgres/postgres-event-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import type { StoredEvent } from '../../src/ports/event-store.js';
import { adminQuery, createTestPool, dropSchema, freshSchemaName, POSTGRES_URL, terminateBackends } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { eventStoreContract } from './event-store.contract.js';

const skip = await requireService('postgres');

void describe('PostgresEventStore', { skip }, () => {
  eventStoreContract('PostgresEventStore', async () => {
    const schema = freshSchemaName();
    let store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });

  void describe('on the server', () => {
    let schema: string;
    const opened: PostgresEventStore[] = [];
    const open = (options: Partial<PostgresEventStoreOptions> = {}): PostgresEventStore => {
      const store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema, ...options });
      opened.push(store);
      return store;
    };

    beforeEach(() => {
      schema = freshSchemaName();
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await dropSchema(schema);
    });

    void it('never shows a later commit before an earlier one: readAll paged during concurrent appends misses nothing', async () => {
      // Three "processes" (pools) with eight appenders each, on many streams,
      // while a fourth pages through readAll. Identity values are drawn in
      // call order but would commit in any order without the append lock; a
      // reader that paged past a later position would then never see the
      // earlier one.
      const writers = [open(), open(), open()];
      const reader = open();
      await Promise.all([...writers, reader].map((store) => store.migrate()));
      const perAppender = 15;
      const appenders = writers.flatMap((store, w) =>
        Array.from({ length: 8 }, async (_, a) => {
          for (let i = 0; i < perAppender; i++) await store.append(`s-${w}-${a}-${i % 2}`, [{ type: 'E', data: { w, a, i } }], 'any');
        }),
      );
      const total = writers.length * 8 * perAppender;
      let writing = true;
      const appended = Promise.all(appenders).finally(() => {
        writing = false;
      });
      const seen: StoredEvent[] = [];
      let after = 0;
      while (writing || seen.length < total) {
        // Read before the page is asked for: an empty page then means done only if every append had committed before it.
        const doneBeforeRead = !writing;
        const page = await reader.readAll({ afterPosition: after, limit: 7 });
        seen.push(...page);
        if (page.length > 0) after = page[page.length - 1]!.position;
        else if (doneBeforeRead) break;
      }
      await appended;
      const all = await reader.readAll();
      assert.equal(all.length, total);
      assert.deepEqual(seen.map((e) => e.position), all.map((e) => e.position), 'the pager saw every event, in position order');
    });

    void it('lets one of two orchestrator-like writers win each round, with no duplicate versions', async () => {
      const one = open();
      const two = open();
      await one.append('process-1', [{ type: 'ProcessStarted', data: {} }], 'no-stream');
      for (let round = 0; round < 20; round++) {
        const [v1, v2] = await Promise.all([one.streamVersion('process-1'), two.streamVersion('process-1')]);
        assert.equal(v1, v2);
        const results = await Promise.allSettled([
          one.append('process-1', [{ type: 'TaskCompleted', data: { by: 'one', round } }], v1),
          two.append('process-1', [{ type: 'TaskCompleted', data: { by: 'two', round } }], v2),
        ]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: exactly one wins`);
        const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
        assert.ok(hasCode(lost.reason, 'EVENT_STORE_VERSION_CONFLICT'), String(lost.reason));
      }
      const events = await one.read('process-1');
      assert.deepEqual(events.map((e) => e.version), Array.from({ length: 21 }, (_, i) => i + 1));
      const duplicates = await adminQuery(`SELECT stream_id, version FROM "${schema}".events GROUP BY 1, 2 HAVING count(*) > 1`);
      assert.deepEqual(duplicates, []);
    });

    void it('retries after its connections are terminated, and the next operations succeed', async () => {
      const applicationName = `millrace-test-${schema}`;
      const store = open({ applicationName });
      await store.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      assert.ok((await terminateBackends(applicationName)) > 0, 'the store had a connection to kill');
      assert.equal((await store.append('s', [{ type: 'B', data: 2 }], 1)).version, 2);
      await terminateBackends(applicationName);
      assert.deepEqual((await store.read('s')).map((e) => e.type), ['A', 'B']);
      await terminateBackends(applicationName);
      assert.equal(await store.streamVersion('s'), 2);
    });

    void it('retries an append whose connection dies while it waits for the append lock', async () => {
      const applicationName = `millrace-test-${schema}`;
      const store = open({ applicationName });
      await store.append('s', [{ type: 'A', data: 1 }], 'no-stream');
      const blocker = createTestPool('millrace-test-blocker', 1);
      const client = await blocker.connect();
      try {
        await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_CLASS}, '"${schema}".events'::regclass::oid::int4)`);
        const pending = store.append('s', [{ type: 'B', data: 2 }], 1);
        await waitUntil(async () => (await adminQuery(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [applicationName])).length > 0);
        assert.equal(await terminateBackends(applicationName), 1);
        await client.query('COMMIT');
        assert.deepEqual(await pending, { version: 2, position: (await store.read('s'))[1]!.position });
      } finally {
        client.release();
        await blocker.end();
      }
    });

    void it('names host:port but never the password or connection string when the server is unreachable', async () => {
      const connectionString = 'postgres://millrace:s3cret-Pa55@127.0.0.1:1/test';
      const store = open({ connectionString, retries: 1, retryDelayMs: 1 });
      const error = await store.append('s', [{ type: 'A', data: 1 }], 'any').then(
        () => assert.fail('an unreachable server cannot accept an append'),
        (e: unknown) => e,
      );
      assert.ok(hasCode(error, 'NOT_AVAILABLE'), String(error));
      assert.match((error as Error).message, /127\.0\.0\.1:1/);
      for (const text of [String(error), JSON.stringify(error), inspect(error, { depth: 10 }), (error as Error).stack ?? '']) {
        assert.ok(!text.includes('s3cret-Pa55'), `password leaked: ${text}`);
        assert.ok(!text.includes(connectionString), `connection string leaked: ${text}`);
      }
      const malformed = open({ connectionString: 'postgres://millrace:s3cret-Pa55@127.0.0.1:notaport/test', retries: 0 });
      const refused = await malformed.read('s').then(() => assert.fail('a malformed connection string cannot connect'), (e: unknown) => e);
      assert.ok(hasCode(refused, 'CONFIG_INVALID') || hasCode(refused, 'NOT_AVAILABLE'), String(refused));
      assert.ok(!inspect(refused, { depth: 10 }).includes('s3cret-Pa55'));
    });

    void it('migrates once when several processes start together, and refuses unsafe schema names', async () => {
      const stores = Array.from({ length: 4 }, () => open());
      await Promise.all(stores.map((store) => store.migrate()));
      const rows = await adminQuery(`SELECT component, version, name FROM "${schema}".schema_migrations`);
      assert.deepEqual(rows, [{ component: 'event-store', version: 1, name: '0001_events' }]);
      for (const bad of ['Upper', 'has-dash', 'x"; DROP SCHEMA public; --', 'pg_catalog', 'a'.repeat(64), '']) {
        assert.throws(() => new PostgresEventStore({ connectionString: POSTGRES_URL, schema: bad }), (e) => hasCode(e, 'CONFIG_INVALID'));
      }
    });

    void it('uses a borrowed pool without ending it, and rejects every call once closed', async () => {
      const pool = createTestPool();
      try {
        const store = new PostgresEventStore({ pool, schema });
        await store.append('s', [{ type: 'A', data: 1 }], 'no-stream');
        await store.close();
        await store.close();
        assert.equal((await pool.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n, 1, 'a borrowed pool stays open');
        for (const call of [() => store.append('s', [], 'any'), () => store.read('s'), () => store.readAll(), () => store.streamVersion('s')]) {
          await assert.rejects(call(), (e) => hasCode(e, 'EVENT_STORE_CLOSED'));
        }
      } finally {
        await pool.end();
      }
    });

    void it('refuses an id already stored elsewhere, writing nothing, and stamps events with the injected clock', async () => {
      const store = open({ clock: new ManualClock(1_700_000_000_000) });
      await store.append('a', [{ id: 'x', type: 'A', data: 1 }], 'no-stream');
      await assert.rejects(store.append('b', [{ id: 'x', type: 'A', data: 1 }], 'no-stream'), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT') && (e as { details: { eventId?: string } }).details.eventId === 'x');
      await assert.rejects(store.append('c', [{ id: 'z', type: 'C', data: 3 }, { id: 'z', type: 'C', data: 3 }], 'no-stream'), (e) => hasCode(e, 'EVENT_STORE_VERSION_CONFLICT'));
      assert.deepEqual((await store.readAll()).map((e) => [e.id, e.recordedAt]), [['x', 1_700_000_000_000]]);
      await assert.rejects(store.append('nul\u0000', [{ type: 'A', data: 1 }], 'any'), (e) => hasCode(e, 'CONFIG_INVALID'));
      await store.append('d', [{ type: 'A', data: { text: 'nul \u0000 inside JSON is fine' } }], 'any');
      assert.deepEqual((await store.read('d'))[0]!.data, { text: 'nul \u0000 inside JSON is fine' });
    });
  });
});

/** Polls `check` every few ms for up to 5 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
