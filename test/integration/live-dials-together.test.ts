/**
 * Every tunable changed at once while events flow: a micro-batch stream's
 * `maxMessages` and `maxWaitMs`, and the worker concurrency of the tasks its
 * buckets run. Each event is processed exactly once, and the buckets show
 * that each dial took effect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemClock } from '../../src/core/clock.js';
import { changeDial } from '../../src/runtime/engine-dials.js';
import { createMillrace, type Millrace, type RunningWorker } from '../../src/runtime/millrace.js';
import { setDials } from '../../src/streams/runtime/dials.js';
import { startMicroBatch, type Bucket, type RunningMicroBatch } from '../../src/streams/runtime/micro-batch.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasks = new URL('../fixtures/tasks.ts', import.meta.url);
const EVENTS = 3_000;

async function until(what: string, check: () => boolean): Promise<void> {
  for (const started = Date.now(); !check(); await sleep(10)) if (Date.now() - started > 60_000) throw new Error(`timed out waiting until ${what}`);
}

describe('live dials, changed together while events flow', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let worker: RunningWorker;
  let stream: RunningMicroBatch | undefined;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 2, logLevel: 'silent' });
    worker = await millrace.startWorker({ tasks, concurrency: 4 });
  });
  after(async () => {
    await stream?.stop();
    await worker.stop();
    await millrace.close();
    dir.remove();
  });

  it('processes every event once while maxMessages, maxWaitMs and worker concurrency change', async () => {
    await millrace.log.createTopic('readings', { partitions: 2 });
    const processed = new Map<number, number>();
    const buckets: Array<Pick<Bucket, 'dials'> & { size: number }> = [];
    let duplicatesDropped = 0;
    stream = await startMicroBatch({
      name: 'readings-batch',
      store: createStreamStore(millrace.log, millrace.checkpoints),
      source: { topic: 'readings' },
      dials: { maxMessages: 100, maxWaitMs: 200, concurrency: 2 },
      clock: new SystemClock(),
      // Each bucket's events go through the worker as tasks: the worker's concurrency dial is on the path.
      handler: async (bucket) => {
        buckets.push({ dials: bucket.dials, size: bucket.records.length });
        const report = await millrace.runTasks<number, number>('echo', bucket.records.map((r) => r.value as number));
        duplicatesDropped += report.duplicatesDropped;
        for (const seq of report.outputs) processed.set(seq!, (processed.get(seq!) ?? 0) + 1);
      },
    });

    let produced = 0;
    const produce = async (count: number): Promise<void> => {
      for (const end = produced + count; produced < end; ) {
        const records = Array.from({ length: Math.min(25, end - produced) }, () => ({ key: `sensor-${produced % 7}`, value: produced++ }));
        await millrace.log.append('readings', records);
        await sleep(2);
      }
    };
    const changes: Array<[string, () => Promise<unknown>, () => boolean]> = [
      ['maxMessages 10', () => setDials(millrace.log, 'readings-batch', { maxMessages: 10 }), () => stream!.dials().maxMessages === 10],
      ['concurrency 16', () => changeDial(millrace.log, 'workers.concurrency', 16, 'test', Date.now()), () => worker.concurrency === 16],
      ['maxWaitMs 5, maxMessages 500', () => setDials(millrace.log, 'readings-batch', { maxWaitMs: 5, maxMessages: 500 }), () => stream!.dials().maxWaitMs === 5 && stream!.dials().maxMessages === 500],
      ['concurrency 1', () => changeDial(millrace.log, 'workers.concurrency', 1, 'test', Date.now()), () => worker.concurrency === 1],
      ['maxMessages 37, maxWaitMs 50', () => setDials(millrace.log, 'readings-batch', { maxMessages: 37, maxWaitMs: 50 }), () => stream!.dials().maxMessages === 37],
    ];
    const share = Math.floor(EVENTS / (changes.length + 1));
    for (const [what, change, applied] of changes) {
      await produce(share);
      await change();
      await until(what, applied);
    }
    await produce(EVENTS - produced);
    await until('every event processed', () => stream!.metrics().messages === EVENTS && stream!.metrics().inFlight === 0);

    const twice = [...processed].filter(([, n]) => n !== 1);
    const lost = Array.from({ length: EVENTS }, (_, i) => i).filter((i) => !processed.has(i));
    assert.deepEqual({ lost: lost.length, duplicated: twice.length, duplicatesDropped }, { lost: 0, duplicated: 0, duplicatesDropped: 0 });
    assert.equal(processed.size, EVENTS);
    for (const bucket of buckets) assert.ok(bucket.size <= bucket.dials.maxMessages, `a bucket of ${bucket.size} formed under maxMessages ${bucket.dials.maxMessages}`);
    const formedUnder = new Set(buckets.map((b) => `${b.dials.maxMessages}/${b.dials.maxWaitMs}`));
    for (const dials of ['100/200', '10/200', '500/5', '37/50']) assert.ok(formedUnder.has(dials), `some bucket formed under maxMessages/maxWaitMs ${dials} (saw ${[...formedUnder].join(', ')})`);
    assert.ok(buckets.some((b) => b.dials.maxMessages === 10 && b.size === 10), 'maxMessages 10 cut full buckets of 10');
  });
});
