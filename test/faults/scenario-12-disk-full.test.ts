/**
 * Scenario 12 — disk full during embedded writes.
 * Injects: the embedded event store and log run out of space at seeded
 * moments, several times, and get it back a little later. The space limit
 * is SQLite's own `max_page_count` on the connection: a write past it fails
 * inside SQLite exactly as on a full disk (`SQLITE_FULL`, the transaction
 * rolled back), which needs no privileges. It does not exercise a full disk
 * under the WAL file or the blob store's temp files (the kernel's ENOSPC on
 * `write`/`fsync`), which would need a tiny mounted filesystem.
 * Pass: a write refused for lack of space fails with an explicit
 * `NOT_AVAILABLE` "storage full" error and writes nothing; every
 * acknowledged write survives (0 lost, 0 duplicated, checked after
 * reopening the files); writes succeed again once space returns.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasCode } from '../../src/core/errors.js';
import { openSqlite } from '../../src/adapters/embedded/sqlite-database.js';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';

describe('scenario 12: disk full during embedded writes', () => {
  const run = startScenario('12-disk-full');
  after(() => run.close());

  it('refuses writes explicitly while full, loses nothing acknowledged, and recovers', { timeout: 300_000 }, async () => {
    const writes = run.size(600, 6_000);
    const outages = run.size(3, 10);
    const eventsDb = openSqlite({ path: run.dir.file('events.db'), component: 'fault-12', migrations: [] });
    const logDb = openSqlite({ path: run.dir.file('streams.db'), component: 'fault-12', migrations: [] });
    const events = new SqliteEventStore({ database: eventsDb });
    const log = new SqliteLog({ database: logDb });
    await log.createTopic('writes', { partitions: 1 });
    const fullAt = new Set(Array.from({ length: outages }, () => run.between(1, writes - 1)));
    const unlimited = eventsDb.pragma('max_page_count', { simple: true }) as number;
    let refused = 0;
    let unexplained = 0;
    let version = 0;
    const pad = 'x'.repeat(2_000); // a few writes fill a page or more, so a full store is soon reached
    for (let n = 1; n <= writes; n++) {
      if (fullAt.has(n)) {
        for (const db of [eventsDb, logDb]) db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
        run.inject('disk-full');
      }
      // The writer retries each write until it is acknowledged; space returns after a few refusals.
      for (let tries = 0; ; tries++) {
        if (tries === 3) for (const db of [eventsDb, logDb]) db.pragma(`max_page_count = ${unlimited}`);
        try {
          await events.append('writes', [{ id: `event-${n}`, type: 'Written', data: { n, pad } }], version);
          version = n;
          run.ledger.record('acknowledged', `event-${n}`);
          break;
        } catch (error) {
          if (hasCode(error, 'NOT_AVAILABLE') && /storage full/.test((error as Error).message)) refused++;
          else unexplained++;
        }
      }
      for (let tries = 0; ; tries++) {
        if (tries === 3) for (const db of [eventsDb, logDb]) db.pragma(`max_page_count = ${unlimited}`);
        try {
          await log.append('writes', [{ key: `record-${n}`, value: { n, pad } }]);
          run.ledger.record('acknowledged', `record-${n}`);
          break;
        } catch (error) {
          if (hasCode(error, 'NOT_AVAILABLE') && /storage full/.test((error as Error).message)) refused++;
          else unexplained++;
        }
      }
    }
    await events.close();
    await log.close();
    eventsDb.close();
    logDb.close();

    // Reopened from the files: what a restart would see.
    const reopenedEvents = new SqliteEventStore({ path: run.dir.file('events.db') });
    const reopenedLog = new SqliteLog({ path: run.dir.file('streams.db') });
    try {
      const stored = (await reopenedEvents.read('writes', { limit: 1_000_000 })).map((e) => e.id);
      const records = (await reopenedLog.read('writes', 0, 0, { limit: 1_000_000 })).map((r) => r.key!);
      const check = checkLedger(run.ledger.keys('acknowledged'), [...stored, ...records]);
      run.report({ check, detected: refused, notes: { unexplainedErrors: unexplained } });

      assert.equal(unexplained, 0, 'every refusal is an explicit storage-full error');
      assert.ok(refused > 0, 'writes were refused while the store was full');
      assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
      assert.equal(stored.length, writes, 'writes carried on once space returned');
    } finally {
      await reopenedEvents.close();
      await reopenedLog.close();
    }
  });
});
