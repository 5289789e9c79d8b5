/**
 * `PostgresCheckpointStore` against the real server: the shared contract on
 * a fresh schema per test, plus what only a server shows: a log append and
 * a checkpoint committed in one transaction on a shared pool, state damaged
 * in the table, and connections dropped — even with the commit in flight.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type pg from 'pg';
import { PostgresCheckpointStore } from '../../src/adapters/postgres/postgres-checkpoint-store.js';
import { PostgresEventStore } from '../../src/adapters/postgres/postgres-event-store.js';
import { PostgresLog } from '../../src/adapters/postgres/postgres-log.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import { adminQuery, createTestPool, dropSchema, freshSchemaName, POSTGRES_URL, terminateBackends } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { checkpointStoreContract } from './checkpoint-store.contract.js';

const skip = await requireService('postgres');

void describe('PostgresCheckpointStore', { skip }, () => {
  checkpointStoreContract('PostgresCheckpointStore', async () => {
    const schema = freshSchemaName();
    let store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema });
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
    let applicationName: string;
    const state = Uint8Array.from([1, 2, 3]);
    beforeEach(() => {
      schema = freshSchemaName();
      applicationName = `millrace-test-${schema}`;
    });
    afterEach(async () => {
      await dropSchema(schema);
    });

    void describe('sharing a pool with PostgresLog', () => {
      let pool: pg.Pool;
      let log: PostgresLog;
      let checkpoints: PostgresCheckpointStore;
      beforeEach(async () => {
        pool = createTestPool();
        log = new PostgresLog({ pool, schema, clock: new ManualClock(0) });
        checkpoints = new PostgresCheckpointStore({ pool, schema });
        await log.createTopic('out', { partitions: 1 });
      });
      afterEach(async () => {
        await log.close();
        await checkpoints.close();
        await pool.end();
      });

      void it('commits output records and the checkpoint together, or neither', async () => {
        const commitBoth = (value: string, expectedVersion: number): Promise<number> =>
          checkpoints.withTransaction(async (client) => {
            await log.appendIn(client, 'out', [{ value }]);
            const seen = await adminQuery(`SELECT count(*)::int AS n FROM "${schema}".log_records`);
            assert.deepEqual(seen, [{ n: (await log.topicInfo('out')).endOffsets[0] }], 'another connection never sees the records without the checkpoint');
            return checkpoints.commitIn(client, 'sum', { state, offsets: { 'in/0': 10 }, expectedVersion });
          });

        assert.equal(await commitBoth('total=6', 0), 1);
        await assert.rejects(commitBoth('zombie', 0), (e) => hasCode(e, 'CHECKPOINT_CONFLICT') && (e as { details: { actual?: number } }).details.actual === 1);
        assert.deepEqual((await log.topicInfo('out')).endOffsets, [1], 'the fenced-out commit appended nothing');
        assert.deepEqual((await log.read('out', 0, 0)).map((r) => r.value), ['total=6']);
        assert.equal(await commitBoth('total=9', 1), 2);
        assert.deepEqual((await log.read('out', 0, 0)).map((r) => r.value), ['total=6', 'total=9']);
        assert.deepEqual((await checkpoints.load('sum'))?.offsets, { 'in/0': 10 });
      });

      void it('runs a transaction again when the server aborts it as a deadlock victim', async () => {
        await adminQuery(`CREATE TABLE "${schema}".scratch (id int PRIMARY KEY, n int NOT NULL)`);
        await adminQuery(`INSERT INTO "${schema}".scratch VALUES (1, 0), (2, 0)`);
        const attempts = [0, 0];
        const firstLocked = [deferred(), deferred()];
        // Each takes one row, waits until the other has taken the other row, then
        // asks for it: a deadlock. The victim is rolled back (40P01) and runs again.
        const crossing = (me: 0 | 1, first: number, second: number): Promise<void> =>
          checkpoints.withTransaction(async (client) => {
            attempts[me]!++;
            await client.query("SET LOCAL deadlock_timeout = '20ms'");
            await client.query(`UPDATE "${schema}".scratch SET n = n + 1 WHERE id = $1`, [first]);
            firstLocked[me]!.resolve();
            await firstLocked[1 - me]!.promise;
            await client.query(`UPDATE "${schema}".scratch SET n = n + 1 WHERE id = $1`, [second]);
          });
        await Promise.all([crossing(0, 1, 2), crossing(1, 2, 1)]);
        assert.equal(attempts[0]! + attempts[1]!, 3, 'one of them ran twice');
        assert.deepEqual(await adminQuery(`SELECT n FROM "${schema}".scratch ORDER BY id`), [{ n: 2 }, { n: 2 }]);
      });

      void it('tracks each component\'s migrations in the schema and leaves the borrowed pool open', async () => {
        const events = new PostgresEventStore({ pool, schema });
        await events.migrate();
        await checkpoints.migrate();
        await events.close();
        const rows = await adminQuery(`SELECT component, version FROM "${schema}".schema_migrations ORDER BY component`);
        assert.deepEqual(rows, [
          { component: 'checkpoint-store', version: 1 },
          { component: 'event-store', version: 1 },
          { component: 'log', version: 1 },
        ]);
        assert.equal((await pool.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n, 1);
      });
    });

    void it('detects state or offsets damaged in the table with STORAGE_CORRUPT', async () => {
      const store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema });
      try {
        await store.commit('p', { state, offsets: { 't/0': 4, 'a/1': 2 }, expectedVersion: 0 });
        await store.commit('q', { state, offsets: { 't/0': 4 }, expectedVersion: 0 });
        assert.deepEqual((await store.load('p'))?.offsets, { 't/0': 4, 'a/1': 2 });
        await adminQuery(`UPDATE "${schema}".checkpoints SET state = '\\x010204' WHERE pipeline = 'p'`);
        await adminQuery(`UPDATE "${schema}".checkpoints SET offsets = '{"t/0": 5}' WHERE pipeline = 'q'`);
        for (const pipeline of ['p', 'q']) {
          await assert.rejects(store.load(pipeline), (e) => hasCode(e, 'STORAGE_CORRUPT') && (e as { details: { pipeline?: string } }).details.pipeline === pipeline);
        }
      } finally {
        await store.close();
      }
    });

    void it('retries after its connections are terminated, and settles a commit cut off in flight', async () => {
      const store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema, applicationName, clock: new ManualClock(7) });
      const blocker = createTestPool('millrace-test-blocker', 1);
      try {
        assert.equal(await store.commit('p', { state, offsets: { 't/0': 1 }, expectedVersion: 0 }), 1);
        assert.ok((await terminateBackends(applicationName)) > 0);
        assert.equal((await store.load('p'))?.version, 1);
        await terminateBackends(applicationName);
        assert.equal(await store.commit('p', { state, offsets: { 't/0': 2 }, expectedVersion: 1 }), 2);

        // Hold the row so the next commit is in flight, then kill its connection:
        // the outcome is unknown to the store, which reads the row back, sees
        // its commit did not land, and runs it again once the row is free.
        const client = await blocker.connect();
        try {
          await client.query(`BEGIN; SELECT 1 FROM "${schema}".checkpoints WHERE pipeline = 'p' FOR UPDATE`);
          const pending = store.commit('p', { state, offsets: { 't/0': 3 }, expectedVersion: 2 });
          await waitUntil(async () => (await adminQuery(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [applicationName])).length > 0);
          assert.equal(await terminateBackends(applicationName), 1);
          await client.query('COMMIT');
          assert.equal(await pending, 3);
        } finally {
          client.release();
        }
        const latest = await store.load('p');
        assert.deepEqual([latest?.version, latest?.offsets, latest?.committedAt], [3, { 't/0': 3 }, 7]);
      } finally {
        await store.close();
        await blocker.end();
      }
    });

    void it('refuses malformed commits and rejects calls once closed', async () => {
      const store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema });
      await assert.rejects(store.commit('p', { state, offsets: { 't/0': -1 }, expectedVersion: 0 }), (e) => hasCode(e, 'CONFIG_INVALID'));
      await assert.rejects(store.commit('p', { state, offsets: {}, expectedVersion: -1 }), (e) => hasCode(e, 'CONFIG_INVALID'));
      await store.close();
      await store.close();
      await assert.rejects(store.load('p'), (e) => hasCode(e, 'CHECKPOINT_CLOSED'));
      await assert.rejects(store.commit('p', { state, offsets: {}, expectedVersion: 0 }), (e) => hasCode(e, 'CHECKPOINT_CLOSED'));
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

/** A promise and its resolver (Node 20 has no `Promise.withResolvers`). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}
