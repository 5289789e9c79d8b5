/**
 * The `Log` contract, written once and run against every adapter (SQLite
 * now, PostgreSQL later). It tests only what `src/ports/log.ts` promises,
 * through the port alone; checksum failures need a hand on the storage and
 * live in each adapter's own tests.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hasCode, type ErrorCode } from '../../src/core/errors.js';
import { hashKey } from '../../src/core/ids.js';
import type { Log, LogRecord } from '../../src/ports/log.js';

/** What an adapter's test file hands the suite: a fresh, empty log per test. */
export interface LogHarness {
  log: Log;
  /** Closes the current log and opens a new one over the same storage, as after a restart. */
  reopen?: () => Promise<Log>;
  /** Closes whatever is open and removes whatever the harness created. */
  cleanup: () => Promise<void>;
}

/**
 * Registers the contract tests for one adapter.
 *
 * @example
 * ```ts
 * logContract('sqlite', async () => {
 *   const dir = createTempDir()
 *   const log = new SqliteLog({ path: dir.file('log.db') })
 *   return { log, cleanup: async () => { await log.close(); dir.remove() } }
 * })
 * ```
 */
export function logContract(adapterName: string, harness: () => Promise<LogHarness>): void {
  void describe(`Log contract: ${adapterName}`, () => {
    let h: LogHarness;
    let log: Log;

    beforeEach(async () => {
      h = await harness();
      log = h.log;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    void it('creates a topic once; again with the same count is a no-op, with another a conflict', async () => {
      await log.createTopic('t', { partitions: 3 });
      assert.deepEqual(await log.topicInfo('t'), { topic: 't', partitions: 3, endOffsets: [0, 0, 0] });
      await log.append('t', [{ value: 1, partition: 1 }]);
      await log.createTopic('t', { partitions: 3 });
      await rejectsWithCode(log.createTopic('t', { partitions: 4 }), 'LOG_TOPIC_CONFLICT', { topic: 't' });
      assert.deepEqual(await log.topicInfo('t'), { topic: 't', partitions: 3, endOffsets: [0, 1, 0] });
    });

    void it('reports an unknown topic on every operation', async () => {
      const details = { topic: 'missing' };
      await rejectsWithCode(log.topicInfo('missing'), 'LOG_TOPIC_NOT_FOUND', details);
      await rejectsWithCode(log.append('missing', [{ value: 1 }]), 'LOG_TOPIC_NOT_FOUND', details);
      await rejectsWithCode(log.read('missing', 0, 0), 'LOG_TOPIC_NOT_FOUND', details);
      await rejectsWithCode(log.tail('missing', 0, 0)[Symbol.asyncIterator]().next(), 'LOG_TOPIC_NOT_FOUND', details);
    });

    void it('gives gap-free offsets per partition, returned in input order', async () => {
      await log.createTopic('t', { partitions: 2 });
      const first = await log.append('t', [0, 1, 0, 0, 1].map((partition, i) => ({ partition, value: i })));
      assert.deepEqual(first, [
        { partition: 0, offset: 0 },
        { partition: 1, offset: 0 },
        { partition: 0, offset: 1 },
        { partition: 0, offset: 2 },
        { partition: 1, offset: 1 },
      ]);
      const second = await log.append('t', [{ partition: 1, value: 5 }, { partition: 0, value: 6 }]);
      assert.deepEqual(second, [
        { partition: 1, offset: 2 },
        { partition: 0, offset: 3 },
      ]);
      assert.deepEqual((await log.topicInfo('t')).endOffsets, [4, 3]);
      const zero = await log.read('t', 0, 0);
      assert.deepEqual(zero.map((r) => [r.offset, r.value]), [[0, 0], [1, 2], [2, 3], [3, 6]]);
      const one = await log.read('t', 1, 0);
      assert.deepEqual(one.map((r) => [r.offset, r.value]), [[0, 1], [1, 4], [2, 5]]);
    });

    void it('sends every record of a key to hashKey(key) % partitions, in append order', async () => {
      await log.createTopic('t', { partitions: 4 });
      const keys = Array.from({ length: 12 }, (_, i) => `user-${i}`);
      const positions = [
        ...(await log.append('t', keys.map((key) => ({ key, value: { key, n: 1 } })))),
        ...(await log.append('t', keys.map((key) => ({ key, value: { key, n: 2 } })))),
      ];
      positions.forEach((position, i) => assert.equal(position.partition, hashKey(keys[i % keys.length]!) % 4));
      for (let partition = 0; partition < 4; partition++) {
        const records = await log.read('t', partition, 0);
        for (const key of keys) {
          const ns = records.filter((r) => r.key === key).map((r) => (r.value as { n: number }).n);
          assert.deepEqual(ns, hashKey(key) % 4 === partition ? [1, 2] : []);
        }
      }
    });

    void it('lets an explicit partition override the key, and spreads keyless records round-robin', async () => {
      await log.createTopic('t', { partitions: 3 });
      const key = 'pinned';
      const elsewhere = (hashKey(key) + 1) % 3;
      assert.deepEqual(await log.append('t', [{ key, partition: elsewhere, value: 1 }]), [{ partition: elsewhere, offset: 0 }]);

      const spread = await log.append('t', Array.from({ length: 6 }, (_, i) => ({ value: i })));
      const perPartition = [0, 1, 2].map((p) => spread.filter((s) => s.partition === p).length);
      assert.deepEqual(perPartition, [2, 2, 2]);
    });

    void it('round-trips keys, values and timestamps', async () => {
      await log.createTopic('t', { partitions: 1 });
      const value = { text: 'ünïcödé ✓', list: [1, 2.5, null, true], nested: { deep: { er: 'x' } } };
      const before = Date.now();
      await log.append('t', [
        { key: 'k', value, timestamp: 1_600_000_000_123 },
        { value: null },
        { key: '', value: 'empty key', timestamp: 5 },
      ]);
      const [keyed, bare, emptyKey] = await log.read('t', 0, 0);
      assert.deepEqual(keyed, { topic: 't', partition: 0, offset: 0, key: 'k', value, timestamp: 1_600_000_000_123 });
      assert.equal(bare!.key, undefined);
      assert.equal(bare!.value, null);
      assert.ok(Number.isFinite(bare!.timestamp), 'a default timestamp is set');
      assert.ok(bare!.timestamp >= before - 60_000, 'the default timestamp is the append time');
      assert.equal(emptyKey!.key, '');
    });

    void it('reads from an offset up to a limit, and replays the same records every time', async () => {
      await log.createTopic('t', { partitions: 1 });
      await log.append('t', Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: { i } })));
      assert.deepEqual((await log.read('t', 0, 3, { limit: 4 })).map((r) => r.offset), [3, 4, 5, 6]);
      assert.deepEqual((await log.read('t', 0, 8)).map((r) => r.offset), [8, 9]);
      assert.deepEqual(await log.read('t', 0, 10), []);
      assert.deepEqual(await log.read('t', 0, 50), []);
      const all = await log.read('t', 0, 0);
      assert.equal(all.length, 10);
      assert.deepEqual(await log.read('t', 0, 0), all);
      assert.deepEqual(await log.read('t', 0, 4, { limit: 3 }), all.slice(4, 7));
    });

    void it('rejects an invalid partition with LOG_PARTITION_INVALID and appends nothing', async () => {
      await log.createTopic('t', { partitions: 3 });
      for (const partition of [3, -1, 1.5]) {
        await rejectsWithCode(log.append('t', [{ value: 'ok', partition: 0 }, { value: 'bad', partition }]), 'LOG_PARTITION_INVALID', { topic: 't' });
        await rejectsWithCode(log.read('t', partition, 0), 'LOG_PARTITION_INVALID', { topic: 't' });
        await rejectsWithCode(log.tail('t', partition, 0)[Symbol.asyncIterator]().next(), 'LOG_PARTITION_INVALID', { topic: 't' });
      }
      assert.deepEqual((await log.topicInfo('t')).endOffsets, [0, 0, 0]);
    });

    void it('tails existing records, then records appended later, and stops on abort', async () => {
      await log.createTopic('t', { partitions: 2 });
      await log.append('t', [0, 1, 2].map((i) => ({ partition: 0, value: i })));
      const controller = new AbortController();
      const tail = consume(log.tail('t', 0, 1, { signal: controller.signal }));
      try {
        await tail.waitFor(2);
        await log.append('t', [{ partition: 1, value: 'other partition' }, { partition: 0, value: 3 }]);
        await log.append('t', [{ partition: 0, value: 4 }]);
        await tail.waitFor(4);
        assert.deepEqual(tail.seen.map((r) => [r.offset, r.value]), [[1, 1], [2, 2], [3, 3], [4, 4]]);
      } finally {
        controller.abort();
      }
      await tail.ended();
      assert.equal(tail.seen.length, 4);
    });

    void it('keeps records and offsets across a reopen', async (t) => {
      if (h.reopen === undefined) return t.skip('adapter cannot reopen');
      await log.createTopic('t', { partitions: 2 });
      await log.append('t', [{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { partition: 1, value: 3 }]);
      const info = await log.topicInfo('t');
      const records = [...(await log.read('t', 0, 0)), ...(await log.read('t', 1, 0))];

      log = await h.reopen();
      assert.deepEqual(await log.topicInfo('t'), info);
      assert.deepEqual([...(await log.read('t', 0, 0)), ...(await log.read('t', 1, 0))], records);
      assert.deepEqual(await log.append('t', [{ partition: 1, value: 4 }]), [{ partition: 1, offset: info.endOffsets[1]! }]);
    });
  });
}

/** Drains a tail in the background; `waitFor` polls briefly instead of sleeping a fixed time. */
function consume(records: AsyncIterable<LogRecord>): { seen: LogRecord[]; waitFor(count: number): Promise<void>; ended(): Promise<void> } {
  const seen: LogRecord[] = [];
  let failure: unknown;
  const done = (async () => {
    for await (const record of records) seen.push(record);
  })();
  done.catch((error: unknown) => {
    failure = error;
  });
  return {
    seen,
    async waitFor(count) {
      const deadline = Date.now() + 5_000;
      while (seen.length < count) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) assert.fail(`tail delivered ${seen.length} of ${count} records within 5 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
    async ended() {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('tail did not end within 5 s of abort')), 5_000)))]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, details: Record<string, unknown> = {}): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(hasCode(error, code), `expected ${code}, got ${String(error)}`);
    const actual = (error as { details?: Record<string, unknown> }).details ?? {};
    for (const [key, value] of Object.entries(details)) assert.equal(actual[key], value, `details.${key}`);
    return true;
  });
}
