/**
 * `SqliteLog`: the shared contract, plus what only SQLite can show —
 * records damaged directly in the file, and two handles on one file (two
 * processes) where a tail learns of the other's appends by polling.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { ManualClock } from '../../src/core/clock.js';
import { hasCode } from '../../src/core/errors.js';
import type { LogRecord } from '../../src/ports/log.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { logContract } from './log.contract.js';

logContract('SqliteLog', async () => {
  const dir = createTempDir();
  const path = dir.file('log.db');
  let log = new SqliteLog({ path });
  return {
    log,
    reopen: async () => {
      await log.close();
      log = new SqliteLog({ path });
      return log;
    },
    cleanup: async () => {
      await log.close();
      dir.remove();
    },
  };
});

const UPDATE_VALUE = `
  UPDATE millrace_log_records SET value = ?
  WHERE topic_id = (SELECT topic_id FROM millrace_log_topics WHERE name = ?) AND partition_no = ? AND record_offset = ?`;
const COPY_RECORD_OVER = `
  UPDATE millrace_log_records SET (record_key, timestamp, value, crc) =
    (SELECT record_key, timestamp, value, crc FROM millrace_log_records WHERE partition_no = 0 AND record_offset = 0)
  WHERE partition_no = 0 AND record_offset = 1`;
const BUMP_TIMESTAMP = 'UPDATE millrace_log_records SET timestamp = timestamp + 1 WHERE partition_no = 0 AND record_offset = 2';

void describe('SqliteLog', () => {
  let dir: TempDir;
  let path: string;
  const opened: SqliteLog[] = [];
  const open = (options: { clock?: ManualClock; pollIntervalMs?: number } = {}): SqliteLog => {
    const log = new SqliteLog({ path, ...options });
    opened.push(log);
    return log;
  };

  beforeEach(() => {
    dir = createTempDir();
    path = dir.file('log.db');
  });
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
    dir.remove();
  });

  void it('detects a value changed in the file, naming its offset, and never returns it', async () => {
    const log = open();
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', [0, 1, 2].map((i) => ({ value: { i } })));
    const raw = new Database(path);
    raw.prepare(UPDATE_VALUE).run(Buffer.from('{"i":42}'), 't', 0, 1);
    raw.close();

    const corruptAt1 = (e: unknown): boolean => hasCode(e, 'LOG_RECORD_CORRUPT') && matches(e, { topic: 't', partition: 0, offset: 1 });
    await assert.rejects(log.read('t', 0, 0), corruptAt1);
    await assert.rejects(log.read('t', 0, 1, { limit: 1 }), corruptAt1);
    assert.deepEqual((await log.read('t', 0, 2)).map((r) => r.value), [{ i: 2 }]);

    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const record of log.tail('t', 0, 0)) seen.push(record.offset);
    }, corruptAt1);
    assert.deepEqual(seen, [0], 'the intact record before it is delivered, the damaged one is not');
  });

  void it('detects a valid record copied to another offset, and a changed timestamp', async () => {
    const log = open();
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', [0, 1, 2].map((i) => ({ key: 'k', value: i, timestamp: 1000 })));
    const raw = new Database(path);
    raw.exec(COPY_RECORD_OVER);
    raw.exec(BUMP_TIMESTAMP);
    raw.close();
    await assert.rejects(log.read('t', 0, 1, { limit: 1 }), (e) => hasCode(e, 'LOG_RECORD_CORRUPT') && matches(e, { offset: 1 }));
    await assert.rejects(log.read('t', 0, 2), (e) => hasCode(e, 'LOG_RECORD_CORRUPT') && matches(e, { offset: 2 }));
    assert.equal((await log.read('t', 0, 0, { limit: 1 }))[0]!.value, 0);
  });

  void it('wakes a tail on appends by another handle to the same file by polling, leaving nothing behind', async () => {
    const clock = new ManualClock(0);
    const writer = open();
    const reader = open({ clock, pollIntervalMs: 50 });
    await writer.createTopic('t', { partitions: 1 });
    const controller = new AbortController();
    const tail = drain(reader.tail('t', 0, 0, { signal: controller.signal }));

    await settle();
    assert.equal(clock.pendingTimers, 1, 'the waiting tail holds one poll timer');
    await writer.append('t', [{ value: 'a' }, { value: 'b' }]);
    await settle();
    assert.deepEqual(tail.values(), [], 'another handle cannot wake it directly');
    await clock.advance(50);
    await settle();
    assert.deepEqual(tail.values(), ['a', 'b']);

    await writer.append('t', [{ value: 'c' }]);
    await clock.advance(49);
    await settle();
    assert.deepEqual(tail.values(), ['a', 'b']);
    await clock.advance(1);
    await settle();
    assert.deepEqual(tail.values(), ['a', 'b', 'c']);

    controller.abort();
    await tail.done;
    assert.equal(clock.pendingTimers, 0, 'no timer left');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no abort listener left');
  });

  void it('wakes a tail at once on an append through the same handle, without the poll', async () => {
    const clock = new ManualClock(0);
    const log = open({ clock });
    await log.createTopic('t', { partitions: 2 });
    const controller = new AbortController();
    const tail = drain(log.tail('t', 1, 0, { signal: controller.signal }));
    for (let round = 0; round < 5; round++) {
      await log.append('t', [{ partition: 0, value: 'elsewhere' }, { partition: 1, value: round }]);
      await settle();
      assert.equal(clock.pendingTimers, 1, 'one timer per waiting tail, never more');
      assert.ok(getEventListeners(controller.signal, 'abort').length <= 1);
    }
    assert.deepEqual(tail.values(), [0, 1, 2, 3, 4]);
    controller.abort();
    await tail.done;
    assert.equal(clock.pendingTimers, 0);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  void it('ends a waiting tail with LOG_CLOSED when the log closes, and rejects calls after', async () => {
    const clock = new ManualClock(0);
    const log = new SqliteLog({ path, clock });
    await log.createTopic('t', { partitions: 1 });
    const tail = drain(log.tail('t', 0, 0));
    await settle();
    await log.close();
    await assert.rejects(tail.done, (e) => hasCode(e, 'LOG_CLOSED'));
    assert.equal(clock.pendingTimers, 0);
    await log.close();
    await assert.rejects(log.append('t', [{ value: 1 }]), (e) => hasCode(e, 'LOG_CLOSED'));
    await assert.rejects(log.topicInfo('t'), (e) => hasCode(e, 'LOG_CLOSED'));
  });

  void it('ends at once for an already aborted signal', async () => {
    const log = open();
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', [{ value: 1 }]);
    const tail = drain(log.tail('t', 0, 0, { signal: AbortSignal.abort() }));
    await tail.done;
    assert.deepEqual(tail.values(), []);
  });

  void it('stamps records with the injected clock and keeps round-robin going across a reopen', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const first = new SqliteLog({ path, clock });
    await first.createTopic('t', { partitions: 3 });
    const [a] = await first.append('t', [{ value: 'a' }]);
    assert.equal((await first.read('t', a!.partition, 0))[0]!.timestamp, 1_700_000_000_000);
    await first.close();
    const [b] = await open().append('t', [{ value: 'b' }]);
    assert.notEqual(b!.partition, a!.partition);
  });

  void it('refuses malformed arguments with CONFIG_INVALID', async () => {
    const log = open();
    await assert.rejects(log.createTopic('t', { partitions: 0 }), (e) => hasCode(e, 'CONFIG_INVALID'));
    await assert.rejects(log.createTopic('', { partitions: 1 }), (e) => hasCode(e, 'CONFIG_INVALID'));
    await log.createTopic('t', { partitions: 1 });
    await assert.rejects(log.read('t', 0, -1), (e) => hasCode(e, 'CONFIG_INVALID'));
    await assert.rejects(log.read('t', 0, 0, { limit: 0 }), (e) => hasCode(e, 'CONFIG_INVALID'));
    await assert.rejects(log.append('t', [{ value: 1, timestamp: Number.NaN }]), (e) => hasCode(e, 'CONFIG_INVALID'));
  });
});

function matches(error: unknown, details: Record<string, unknown>): boolean {
  const actual = (error as { details?: Record<string, unknown> }).details ?? {};
  return Object.entries(details).every(([key, value]) => actual[key] === value);
}

/** Lets pending I/O callbacks and promise chains run: a few event-loop turns, no fixed sleep. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

function drain(records: AsyncIterable<LogRecord>): { values(): unknown[]; done: Promise<void> } {
  const seen: LogRecord[] = [];
  const done = (async () => {
    for await (const record of records) seen.push(record);
  })();
  done.catch(() => undefined);
  return { values: () => seen.map((r) => r.value), done };
}
