/**
 * Runs the TaskQueue contract against SqliteTaskQueue (one database file per
 * test), then what only the SQLite adapter promises: recovery from a process
 * that really died, corrupt rows, several instances on one file, and the
 * query plan the throughput depends on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteTaskQueue } from '../../src/adapters/embedded/sqlite-task-queue.js';
import { INSERT_MESSAGE, LEASE_READY } from '../../src/adapters/embedded/sqlite-task-queue-sql.js';
import { replyQueueName } from '../../src/adapters/common/request-reply.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Delivery, TaskQueue } from '../../src/ports/task-queue.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { advance, recorder, turns, waitFor } from './task-queue-contract/support.js';
import { taskQueueContract } from './task-queue.contract.js';

const START = 1_700_000_000_000;

taskQueueContract('SqliteTaskQueue', async () => {
  const dir = createTempDir('millrace-queue-');
  const path = dir.file('queue.db');
  const clock = new ManualClock(START);
  let queue: TaskQueue = new SqliteTaskQueue({ path, clock });
  return {
    queue,
    clock,
    reopen: async () => {
      await queue.close();
      queue = new SqliteTaskQueue({ path, clock });
      return queue;
    },
    cleanup: async () => {
      await queue.close();
      dir.remove();
    },
  };
});

void describe('SqliteTaskQueue', () => {
  let dir: TempDir;
  let n = 0;
  const dbPath = (): string => dir.file(`queue-${++n}.db`);
  before(() => (dir = createTempDir('millrace-queue-')));
  after(() => dir.remove());

  void it('redelivers at once, on reopen, the leases of a process that was killed', async () => {
    const path = dbPath();
    const clock = new ManualClock(START);
    const first = new SqliteTaskQueue({ path, clock });
    await first.publish('crash', [{ id: 'x', name: 'n', payload: 1 }, { id: 'y', name: 'n', payload: 2 }, { id: 'z', name: 'n', payload: 3 }]);
    await first.close();

    // The child leases two rows (committed before any handler runs), then dies without a word.
    const modulePath = fileURLToPath(new URL('../../src/adapters/embedded/sqlite-task-queue.ts', import.meta.url));
    const script = `
      const { SqliteTaskQueue } = await import(${JSON.stringify(pathToFileURL(modulePath).href)});
      const queue = new SqliteTaskQueue({ path: ${JSON.stringify(path)} });
      let held = 0;
      queue.consume('crash', async () => { if (++held === 2) process.kill(process.pid, 'SIGKILL'); await new Promise(() => {}); }, { concurrency: 2 });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL', `child did not die as planned: ${stderr}`);

    // Something left in the dead owner's private reply queue: no one can ever read it.
    const raw = new Database(path);
    const ownerId = raw.prepare('SELECT id FROM queue_owners WHERE pid = ?').pluck().get(child.pid) as string;
    raw.prepare(INSERT_MESSAGE).run(replyQueueName(ownerId), 'orphan', 'n', '1', null, 0, 0, 0, 5, START, null);
    raw.close();

    const queue = new SqliteTaskQueue({ path, clock });
    try {
      assert.equal((await queue.stats(replyQueueName(ownerId))).ready, 0);
      assert.deepEqual(await queue.stats('crash'), { ready: 3, delayed: 0, inFlight: 0, deadLettered: 0, redelivered: 0 });
      const got = recorder();
      const consumer = queue.consume('crash', async (d) => void got.seen.push(d), { concurrency: 3 });
      await waitFor(() => got.seen.length === 3, 'the redeliveries, with no lease time passing');
      await consumer.stop();
      assert.deepEqual(Object.fromEntries(got.seen.map((d) => [d.id, d.attempt])), { x: 2, y: 2, z: 1 });
      assert.equal((await queue.stats('crash')).redelivered, 2);
    } finally {
      await queue.close();
    }
  });

  void it('leaves the leases of a live instance alone until they lapse', async () => {
    const path = dbPath();
    const clock = new ManualClock(START);
    const a = new SqliteTaskQueue({ path, clock });
    const b = new SqliteTaskQueue({ path, clock });
    try {
      await a.publish('shared', { name: 'n', payload: 1 });
      let held: Delivery | undefined;
      a.consume('shared', async (d) => {
        held = d;
        await new Promise(() => undefined);
      }, { concurrency: 1, leaseMs: 1000 });
      await waitFor(() => held !== undefined, 'the delivery in instance a');
      const c = new SqliteTaskQueue({ path, clock });
      const got = recorder();
      c.consume('shared', async (d) => void got.seen.push(d), { concurrency: 1 });
      await advance(clock, 500);
      assert.equal(got.seen.length, 0);
      await advance(clock, 600);
      await waitFor(() => got.seen.length === 1, 'the lapsed lease in instance c');
      assert.equal(got.seen[0]!.attempt, 2);
      await c.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  void it('delivers rows written by another instance on its next poll', async () => {
    const path = dbPath();
    const clock = new ManualClock(START);
    const writer = new SqliteTaskQueue({ path, clock });
    const reader = new SqliteTaskQueue({ path, clock, pollIntervalMs: 250 });
    try {
      const got = recorder();
      reader.consume('cross', async (d) => void got.seen.push(d), { concurrency: 4 });
      await turns();
      await writer.publish('cross', { name: 'n', payload: 'hello' });
      await turns();
      assert.equal(got.seen.length, 0, 'no in-process doorbell across instances');
      await advance(clock, 250);
      await waitFor(() => got.seen.length === 1, 'the polled delivery');
      assert.equal(got.seen[0]!.payload, 'hello');
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  void it('dead-letters a row that no longer decodes and goes on with the next', async () => {
    const path = dbPath();
    const clock = new ManualClock(START);
    const queue = new SqliteTaskQueue({ path, clock });
    try {
      await queue.publish('corrupt', [{ id: 'bad', name: 'n', payload: { ok: true } }, { id: 'good', name: 'n', payload: 2 }]);
      const raw = new Database(path);
      raw.prepare("UPDATE queue_messages SET payload = '{\"__proto__\": {\"x\": 1}}' WHERE id = 'bad'").run();
      raw.close();
      const got = recorder();
      const consumer = queue.consume('corrupt', async (d) => void got.seen.push(d), { concurrency: 2 });
      await waitFor(() => got.seen.length === 1, 'the good message');
      await consumer.stop();
      assert.equal(got.seen[0]!.id, 'good');
      const [dead] = await queue.deadLetters('corrupt');
      assert.equal(dead!.id, 'bad');
      assert.match(dead!.reason, /__proto__/);
      assert.equal(dead!.payload, '{"__proto__": {"x": 1}}');
      assert.deepEqual(await queue.stats('corrupt'), { ready: 0, delayed: 0, inFlight: 0, deadLettered: 1, redelivered: 0 });
    } finally {
      await queue.close();
    }
  });

  void it('makes publish durable before it resolves, and commits a tick of publishes together', async () => {
    const path = dbPath();
    const queue = new SqliteTaskQueue({ path, clock: new ManualClock(START) });
    const raw = new Database(path, { readonly: true });
    try {
      const count = raw.prepare('SELECT COUNT(*) FROM queue_messages').pluck();
      const version = raw.prepare('PRAGMA data_version').pluck();
      const before = version.get() as number;
      await Promise.all(Array.from({ length: 50 }, (_, i) => queue.publish('tick', { name: 'n', payload: i })));
      assert.equal(count.get(), 50);
      // data_version moves once per commit seen from another connection.
      assert.equal((version.get() as number) - before, 1);
    } finally {
      raw.close();
      await queue.close();
    }
  });

  void it('refuses bad options before opening anything', () => {
    const path = dbPath();
    for (const bad of [{ maxAttempts: 0 }, { pollIntervalMs: 0 }, { defaultLeaseMs: Number.NaN }]) {
      assert.throws(() => new SqliteTaskQueue({ path, ...bad }), (e: unknown) => (e as { code?: string }).code === 'CONFIG_INVALID');
    }
    assert.equal(existsSync(path), false);
  });

  void it('refuses bad consumer options with CONFIG_INVALID', async () => {
    const queue = new SqliteTaskQueue({ path: dbPath() });
    try {
      for (const options of [{ concurrency: 0 }, { concurrency: 1.5 }, { concurrency: 1, leaseMs: -1 }]) {
        assert.throws(() => queue.consume('q', async () => undefined, options), (e: unknown) => (e as { code?: string }).code === 'CONFIG_INVALID');
      }
    } finally {
      await queue.close();
    }
  });

  void it('leases by walking the ready index in order, with no sort', () => {
    const path = dbPath();
    const queue = new SqliteTaskQueue({ path });
    const raw = new Database(path, { readonly: true });
    try {
      const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${LEASE_READY}`).all(0, 'o', 'q', 10) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      assert.match(plan, /queue_messages_ready/);
      assert.doesNotMatch(plan, /TEMP B-TREE/);
    } finally {
      raw.close();
      void queue.close();
    }
  });
});
