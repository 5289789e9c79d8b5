/** Worker heartbeats: the fold that says who is up, gone or stopped, and the directory reading beats back from the Log. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SqliteLog } from '../../../src/adapters/embedded/sqlite-log.js';
import { asBeat, foldHeartbeats, type WorkerBeat } from '../../../src/runtime/worker-heartbeat.js';
import { startHeartbeat, WorkerDirectory, WORKERS_TOPIC } from '../../../src/runtime/worker-directory.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

function beat(id: string, beatAt: number, extra: Partial<WorkerBeat> = {}): WorkerBeat {
  return { id, host: 'h1', pid: 100, tags: [], kinds: ['spin'], queues: ['tasks'], threads: 2, concurrency: 32, inFlight: 0, done: 0, failed: 0, startedAt: 0, beatAt, intervalMs: 1000, ...extra };
}

describe('foldHeartbeats', () => {
  it('keeps the newest beat per worker, whatever order beats arrive in', () => {
    const [worker] = foldHeartbeats([beat('a', 2000, { done: 5 }), beat('a', 1000, { done: 1 })], 2500);
    assert.equal(worker!.done, 5);
    assert.equal(worker!.beatAt, 2000);
  });

  it('shows a worker as gone once it has missed three of its beats, and stopped when it said so', () => {
    const beats = [beat('quiet', 1000), beat('fresh', 3900, { pid: 2 }), beat('left', 3500, { stopped: true, pid: 3 })];
    assert.deepEqual(foldHeartbeats(beats, 4000).map((w) => [w.id, w.state]), [['fresh', 'up'], ['quiet', 'up'], ['left', 'stopped']]);
    assert.deepEqual(foldHeartbeats(beats, 4001).map((w) => [w.id, w.state]), [['fresh', 'up'], ['quiet', 'gone'], ['left', 'stopped']]);
  });

  it('skips malformed records', () => {
    assert.equal(asBeat({ id: 'x' }), undefined);
    assert.equal(asBeat(null), undefined);
    assert.equal(asBeat({ ...beat('x', 1), intervalMs: 0 }), undefined);
    assert.equal(asBeat({ ...beat('x', 1), tags: [1] }), undefined);
    assert.deepEqual(asBeat(beat('x', 1)), beat('x', 1));
  });

  it('keeps the tasks waiting in-process when a beat has them, and drops a malformed count rather than the beat', () => {
    assert.equal(asBeat(beat('x', 1, { waiting: 12 }))?.waiting, 12);
    assert.deepEqual(asBeat({ ...beat('x', 1), waiting: -1 }), beat('x', 1));
    assert.deepEqual(asBeat({ ...beat('x', 1), waiting: 'many' }), beat('x', 1));
  });
});

describe('WorkerDirectory', () => {
  let dir: TempDir;
  let log: SqliteLog;

  before(() => {
    dir = createTempDir();
    log = new SqliteLog({ path: join(dir.path, 'log.db') });
  });
  after(async () => {
    await log.close();
    dir.remove();
  });

  it('lists a beating worker with what it reports, and as stopped after it stops', async () => {
    const clock = new ManualClock(1_000_000);
    let done = 0;
    const heartbeat = startHeartbeat({ log, clock, logger: silentLogger, intervalMs: 1000, snapshot: () => ({ tags: ['v2'], kinds: ['resize'], queues: ['tasks.v2'], threads: 4, concurrency: 64, inFlight: 3, done, failed: 1 }) });
    const directory = new WorkerDirectory(log, clock);
    await clock.advance(0);
    await until(async () => (await directory.list()).length === 1);
    let [worker] = await directory.list();
    assert.deepEqual({ ...worker, host: undefined }, {
      id: heartbeat.id, host: undefined, pid: process.pid, tags: ['v2'], kinds: ['resize'], queues: ['tasks.v2'], threads: 4, concurrency: 64,
      inFlight: 3, done: 0, failed: 1, startedAt: 1_000_000, beatAt: 1_000_000, intervalMs: 1000, state: 'up',
    });
    done = 7;
    await clock.advance(1000);
    await until(async () => (await directory.list())[0]!.done === 7);
    await heartbeat.stop();
    [worker] = await directory.list();
    assert.equal(worker!.state, 'stopped');
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });

  it('reads back only recent beats on its first look, and forgets workers silent for longer than it keeps', async () => {
    await log.createTopic(WORKERS_TOPIC, { partitions: 1 });
    await log.append(WORKERS_TOPIC, Array.from({ length: 2500 }, (_, i) => ({ value: beat(`old-${i % 3}`, i), timestamp: i })));
    await log.append(WORKERS_TOPIC, [{ value: beat('recent', 5_000_000), timestamp: 5_000_000 }]);
    const clock = new ManualClock(5_000_500);
    const listed = await new WorkerDirectory(log, clock, 600_000).list();
    assert.deepEqual(listed.map((w) => w.id), ['recent']);
    await clock.advance(700_000);
    const later = new WorkerDirectory(log, clock, 600_000);
    assert.deepEqual(await later.list(), []);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('timed out');
}
