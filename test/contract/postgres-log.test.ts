/**
 * `PostgresLog` against the real server: the shared contract on a fresh
 * schema per test, plus what only a server shows: NOTIFY waking a tail from
 * another pool, rows damaged in the table, dropped connections (the
 * listening one included), concurrent appenders from several processes,
 * and nothing left behind when tails end.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PostgresLog, type PostgresLogOptions } from '../../src/adapters/postgres/postgres-log.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import type { LogRecord } from '../../src/ports/log.js';
import { adminQuery, dropSchema, freshSchemaName, POSTGRES_URL, terminateBackends } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { logContract } from './log.contract.js';

const skip = await requireService('postgres');

void describe('PostgresLog', { skip }, () => {
  logContract('PostgresLog', async () => {
    const schema = freshSchemaName();
    let log = new PostgresLog({ connectionString: POSTGRES_URL, schema });
    return {
      log,
      reopen: async () => {
        await log.close();
        log = new PostgresLog({ connectionString: POSTGRES_URL, schema });
        return log;
      },
      cleanup: async () => {
        await log.close();
        await dropSchema(schema);
      },
    };
  });

  void describe('on the server', () => {
    let schema: string;
    let applicationName: string;
    const opened: PostgresLog[] = [];
    const open = (options: Partial<PostgresLogOptions> = {}): PostgresLog => {
      const log = new PostgresLog({ connectionString: POSTGRES_URL, schema, ...options });
      opened.push(log);
      return log;
    };

    beforeEach(() => {
      schema = freshSchemaName();
      applicationName = `millrace-test-${schema}`;
    });
    afterEach(async () => {
      for (const log of opened.splice(0)) await log.close();
      await dropSchema(schema);
    });

    void it('wakes a tail by NOTIFY on an append through another pool, without polling, and leaves nothing behind', async () => {
      const clock = new ManualClock(0);
      const reader = open({ clock, pollIntervalMs: 60_000, applicationName });
      const writer = open();
      await writer.createTopic('t', { partitions: 2 });
      const controller = new AbortController();
      const tail = drain(reader.tail('t', 1, 0, { signal: controller.signal }));
      await waitUntil(async () => clock.pendingTimers === 1);

      await writer.append('t', [{ partition: 0, value: 'elsewhere' }, { partition: 1, value: 'a' }]);
      await tail.waitFor(1);
      await writer.append('t', [{ partition: 1, value: 'b' }, { partition: 1, value: 'c' }]);
      await tail.waitFor(3);
      assert.deepEqual(tail.values(), ['a', 'b', 'c']);
      await waitUntil(async () => clock.pendingTimers === 1);
      assert.equal(clock.now(), 0, 'delivered with the clock never advanced: the poll timer cannot have fired');
      await waitUntil(async () => (await listeners(applicationName)) === 1);

      controller.abort();
      await tail.done;
      assert.equal(clock.pendingTimers, 0, 'no timer left');
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no abort listener left');
      await waitUntil(async () => (await listeners(applicationName)) === 0);
    });

    void it('delivers a joint transaction\'s records at COMMIT, and nothing from one rolled back', async () => {
      const clock = new ManualClock(0);
      const log = open({ clock, pollIntervalMs: 60_000 });
      await log.createTopic('out', { partitions: 1 });
      const tail = drain(log.tail('out', 0, 0));
      await waitUntil(async () => clock.pendingTimers === 1);

      await assert.rejects(
        log.withTransaction(async (client) => {
          await log.appendIn(client, 'out', [{ value: 'rolled back' }]);
          throw new Error('abandon');
        }),
        /abandon/,
      );
      assert.deepEqual((await log.topicInfo('out')).endOffsets, [0], 'the offset was given back');
      await log.withTransaction(async (client) => {
        assert.deepEqual(await log.appendIn(client, 'out', [{ value: 'kept' }]), [{ partition: 0, offset: 0 }]);
        const outside = await adminQuery(`SELECT count(*)::int AS n FROM "${schema}".log_records`);
        assert.deepEqual(outside, [{ n: 0 }], 'invisible before COMMIT');
      });
      await tail.waitFor(1);
      assert.deepEqual(tail.values(), ['kept']);
      await log.close();
      await assert.rejects(tail.done, (e) => hasCode(e, 'LOG_CLOSED'));
      assert.equal(clock.pendingTimers, 0);
    });

    void it('detects a damaged value and a record copied to another offset, and never returns them', async () => {
      const log = open();
      await log.createTopic('t', { partitions: 1 });
      await log.append('t', [0, 1, 2, 3].map((i) => ({ key: 'k', value: { i }, timestamp: 1000 })));
      await adminQuery(`UPDATE "${schema}".log_records SET value = convert_to('{"i":42}', 'UTF8') WHERE record_offset = 1`);
      await adminQuery(`UPDATE "${schema}".log_records AS r SET (value, crc) = (SELECT value, crc FROM "${schema}".log_records WHERE record_offset = 0) WHERE r.record_offset = 3`);

      const corruptAt = (offset: number) => (e: unknown) => hasCode(e, 'LOG_RECORD_CORRUPT') && matches(e, { topic: 't', partition: 0, offset });
      await assert.rejects(log.read('t', 0, 0), corruptAt(1));
      await assert.rejects(log.read('t', 0, 3), corruptAt(3));
      assert.deepEqual((await log.read('t', 0, 2, { limit: 1 })).map((r) => r.value), [{ i: 2 }]);
      const seen: number[] = [];
      await assert.rejects(async () => {
        for await (const record of log.tail('t', 0, 0)) seen.push(record.offset);
      }, corruptAt(1));
      assert.deepEqual(seen, [0], 'the intact record before it is delivered, the damaged one is not');
    });

    void it('retries after its connections are terminated, the listening one included', async () => {
      const log = open({ applicationName });
      await log.createTopic('t', { partitions: 1 });
      await log.append('t', [{ value: 0 }]);
      const controller = new AbortController();
      const tail = drain(log.tail('t', 0, 0, { signal: controller.signal }));
      await tail.waitFor(1);
      await waitUntil(async () => (await listeners(applicationName)) === 1);

      assert.ok((await terminateBackends(applicationName)) >= 2, 'a pooled and the listening connection were killed');
      assert.deepEqual(await log.append('t', [{ value: 1 }]), [{ partition: 0, offset: 1 }]);
      await tail.waitFor(2);
      await waitUntil(async () => (await listeners(applicationName)) === 1);
      await terminateBackends(applicationName);
      assert.deepEqual((await log.read('t', 0, 0)).map((r) => r.value), [0, 1]);
      await terminateBackends(applicationName);
      await log.append('t', [{ value: 2 }]);
      await tail.waitFor(3);
      assert.deepEqual(tail.values(), [0, 1, 2]);
      controller.abort();
      await tail.done;
    });

    void it('keeps offsets gap-free and unique under concurrent appenders from several processes', async () => {
      const logs = [open(), open(), open()];
      await logs[0]!.createTopic('t', { partitions: 4 });
      // Batches spanning partitions in different orders: locking in partition
      // order is what keeps them from deadlocking.
      const batches = logs.flatMap((log, l) =>
        Array.from({ length: 6 }, (_, b) => log.append('t', Array.from({ length: 10 }, (_, i) => ({ partition: (l + b + (b % 2 === 0 ? i : 9 - i)) % 4, value: { l, b, i } })))),
      );
      const positions = (await Promise.all(batches)).flat();
      const info = await logs[1]!.topicInfo('t');
      assert.equal(info.endOffsets.reduce((a, b) => a + b, 0), 180);
      for (let partition = 0; partition < 4; partition++) {
        const offsets = positions.filter((p) => p.partition === partition).map((p) => p.offset).sort((a, b) => a - b);
        assert.deepEqual(offsets, Array.from({ length: info.endOffsets[partition]! }, (_, i) => i), `partition ${partition} is gap-free`);
        assert.equal((await logs[2]!.read('t', partition, 0)).length, offsets.length);
      }
    });

    void it('refuses malformed arguments with CONFIG_INVALID, and calls after close with LOG_CLOSED', async () => {
      const log = open();
      await assert.rejects(log.createTopic('t', { partitions: 0 }), (e) => hasCode(e, 'CONFIG_INVALID'));
      await assert.rejects(log.createTopic('', { partitions: 1 }), (e) => hasCode(e, 'CONFIG_INVALID'));
      await log.createTopic('t', { partitions: 1 });
      await assert.rejects(log.read('t', 0, -1), (e) => hasCode(e, 'CONFIG_INVALID'));
      await assert.rejects(log.read('t', 0, 0, { limit: 0 }), (e) => hasCode(e, 'CONFIG_INVALID'));
      await assert.rejects(log.append('t', [{ value: 1, timestamp: Number.NaN }]), (e) => hasCode(e, 'CONFIG_INVALID'));
      await assert.rejects(log.append('t', [{ key: 'nul\u0000', value: 1 }]), (e) => hasCode(e, 'CONFIG_INVALID'));
      assert.deepEqual(await log.append('t', []), []);
      await log.close();
      await assert.rejects(log.append('t', [{ value: 1 }]), (e) => hasCode(e, 'LOG_CLOSED'));
      await assert.rejects(log.topicInfo('t'), (e) => hasCode(e, 'LOG_CLOSED'));
    });
  });
});

/** Connections of `applicationName` currently in LISTEN (the last statement they ran). */
async function listeners(applicationName: string): Promise<number> {
  const rows = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'`, [applicationName]);
  return rows[0]!.n;
}

function matches(error: unknown, details: Record<string, unknown>): boolean {
  const actual = (error as { details?: Record<string, unknown> }).details ?? {};
  return Object.entries(details).every(([key, value]) => actual[key] === value);
}

/** Polls `check` every few ms for up to 5 s. */
async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function drain(records: AsyncIterable<LogRecord>): { values(): unknown[]; waitFor(count: number): Promise<void>; done: Promise<void> } {
  const seen: LogRecord[] = [];
  let failure: unknown;
  const done = (async () => {
    for await (const record of records) seen.push(record);
  })();
  done.catch((error: unknown) => {
    failure = error;
  });
  return {
    values: () => seen.map((r) => r.value),
    done,
    waitFor: (count) =>
      waitUntil(async () => {
        if (failure !== undefined) throw failure;
        return seen.length >= count;
      }),
  };
}
