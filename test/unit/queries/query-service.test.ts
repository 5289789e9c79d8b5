/**
 * Scatter/gather over the TaskQueue port (an in-memory queue): answers
 * equal the in-process computation; earlier queries' strips go first;
 * slow and failed strips are asked again; past the deadline, or on a
 * corrupt tile, the query fails — never a partial answer; cache, ETag and
 * single-flight.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { MemoryTaskQueue } from '../../../src/adapters/embedded/memory-task-queue.js';
import type { BlobRef } from '../../../src/ports/blob-store.js';
import type { Consumer, Delivery } from '../../../src/ports/task-queue.js';
import { generateDataset } from '../../../src/queries/generate/generate-dataset.js';
import { createQueueStripRunner, QUERY_QUEUE } from '../../../src/queries/scatter/queue-strip-runner.js';
import { serveStrips } from '../../../src/queries/worker/serve-strips.js';
import { QueryService } from '../../../src/queries/service/query-service.js';
import { createLocalStripRunner } from '../../../src/queries/service/strip-runner.js';
import type { StripTask } from '../../../src/queries/plan/strip-task.js';
import { MemoryBlobStore } from './memory-blob-store.js';

/** A blob store whose first `failures` ranged reads fail, as a flaky network read would. */
class FlakyBlobStore extends MemoryBlobStore {
  failures = 0;
  override async getRange(ref: BlobRef, offset: number, length: number): Promise<Uint8Array> {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    }
    return super.getRange(ref, offset, length);
  }
}

const blobs = new FlakyBlobStore();
const request = { kind: 'heatmap', dataset: 'q', group: 'all', width: 40, height: 60, aggregate: 'mean' } as const;

function setup(options: { attemptTimeoutMs?: number; deadlineMs?: number; serve?: boolean } = {}): { queue: MemoryTaskQueue; service: QueryService; consumers: Consumer[] } {
  const queue = new MemoryTaskQueue({ pollIntervalMs: 5 });
  const runner = createQueueStripRunner({ queue, attemptTimeoutMs: options.attemptTimeoutMs ?? 5_000 });
  const service = new QueryService({ blobs, runner, deadlineMs: options.deadlineMs ?? 10_000, targetStripBytes: 16 * 1024 });
  const consumers = options.serve === false ? [] : [serveStrips({ queue, blobs, concurrency: 2 })];
  return { queue, service, consumers };
}

async function teardown({ queue, consumers }: { queue: MemoryTaskQueue; consumers: Consumer[] }): Promise<void> {
  await Promise.all(consumers.map((c) => c.stop({ drain: false })));
  await queue.close();
}

describe('QueryService over a task queue', () => {
  // Queue and request timers are unref'd (a server's sockets keep its process alive); so does this, for the tests.
  let keepAlive: NodeJS.Timeout | undefined;
  before(async () => {
    keepAlive = setInterval(() => {}, 1_000);
    await generateDataset({ blobs, name: 'q', files: 2, scans: 200, bins: 1500, tileRows: 16, tileCols: 64, seed: 4 });
  });

  it('answers exactly as the in-process computation does, in several strips', async () => {
    const setupQueue = setup();
    try {
      const local = new QueryService({ blobs, runner: createLocalStripRunner(blobs), targetStripBytes: 16 * 1024 });
      const expected = await local.query(request);
      const actual = await setupQueue.service.query(request);
      assert.ok(actual.stats.subtasks > 2, `${actual.stats.subtasks} strips`);
      assert.deepEqual(actual.grid, expected.grid);
      assert.ok(actual.grid.values.some((v) => v > 0));
      assert.equal(actual.stats.bytesRead > 0, true);
    } finally {
      await teardown(setupQueue);
    }
  });

  it('hands out an earlier query\'s strips before a later one\'s', async () => {
    const s = setup({ serve: false });
    try {
      const seen: string[] = [];
      const a = s.service.query({ ...request, rtMin: 0, rtMax: 3000 });
      const b = s.service.query({ ...request, rtMin: 500, rtMax: 3500 });
      await new Promise((resolve) => setTimeout(resolve, 20)); // both queries publish their strips before anyone consumes
      const ids = new Map<string, string>();
      s.consumers.push(s.queue.consume(QUERY_QUEUE, async (delivery: Delivery) => {
        const task = (delivery.payload as { input: StripTask }).input;
        if (!ids.has(task.queryId)) ids.set(task.queryId, ids.size === 0 ? 'A' : 'B');
        seen.push(ids.get(task.queryId)!);
        await delivery.nack({ requeue: false, reason: 'only looking' });
      }, { concurrency: 1 }));
      await Promise.race([Promise.allSettled([a, b]), new Promise((resolve) => setTimeout(resolve, 300))]);
      const firstB = seen.indexOf('B');
      assert.ok(seen.length >= 4 && firstB > 0, `order ${seen.join('')}`);
      assert.ok(seen.slice(firstB).every((q) => q === 'B'), `every strip of A before B's: ${seen.join('')}`);
    } finally {
      await teardown(s);
    }
  });

  it('asks a strip again when a worker is stuck on it, and still answers in full', async () => {
    const s = setup({ attemptTimeoutMs: 100, serve: false });
    try {
      let stuck!: () => void;
      const firstTaken = new Promise<void>((resolve) => (stuck = resolve));
      // A worker that takes one strip and never answers.
      s.consumers.push(s.queue.consume(QUERY_QUEUE, async (delivery) => {
        stuck();
        await new Promise((resolve) => delivery.signal.addEventListener('abort', resolve));
      }, { concurrency: 1 }));
      const answer = s.service.query(request);
      await firstTaken;
      s.consumers.push(serveStrips({ queue: s.queue, blobs, concurrency: 2 }));
      const result = await answer;
      assert.ok(result.stats.retries >= 1, `retries: ${result.stats.retries}`);
      const expected = await new QueryService({ blobs, runner: createLocalStripRunner(blobs), targetStripBytes: 16 * 1024 }).query(request);
      assert.deepEqual(result.grid, expected.grid);
    } finally {
      await teardown(s);
    }
  });

  it('retries a strip whose read failed, on the worker side', async () => {
    const s = setup();
    try {
      await s.service.query({ ...request, rtMax: 100 }); // opens the files: reads from here on are the workers'
      blobs.failures = 2;
      const result = await s.service.query({ ...request, rtMax: 2000 });
      assert.equal(blobs.failures, 0);
      assert.ok(result.grid.values.some((v) => v > 0));
    } finally {
      blobs.failures = 0;
      await teardown(s);
    }
  });

  it('fails with QUERY_DEADLINE_EXCEEDED when no worker answers in time, naming the strip', async () => {
    const s = setup({ attemptTimeoutMs: 50, deadlineMs: 300, serve: false });
    try {
      await assert.rejects(s.service.query(request), { code: 'QUERY_DEADLINE_EXCEEDED', message: /strip \d+ got no answer before the deadline .*no partial result/ });
    } finally {
      await teardown(s);
    }
  });

  it('fails with STORAGE_CORRUPT, without retrying, when a tile is damaged', async () => {
    const damaged = new MemoryBlobStore();
    const rev = await generateDataset({ blobs: damaged, name: 'bad', files: 1, scans: 64, bins: 300, tileRows: 16, tileCols: 64, seed: 2 });
    const key = rev.manifest.files[0]!.ref.key;
    damaged.damage(key, 16 + 4 + 8); // the first cells of the first band record written (level (0, 0), band 0)
    const queue = new MemoryTaskQueue({ pollIntervalMs: 5 });
    const consumer = serveStrips({ queue, blobs: damaged });
    try {
      const service = new QueryService({ blobs: damaged, runner: createQueueStripRunner({ queue }) });
      await assert.rejects(service.query({ kind: 'heatmap', dataset: 'bad', files: ['run-001'], width: 300, height: 300, aggregate: 'sum' }), { code: 'STORAGE_CORRUPT', message: /run-001\.mrt: tile \(band 0, column 0\) of level \(0, 0\) fails its CRC32/ });
      const elsewhere = await service.query({ kind: 'heatmap', dataset: 'bad', files: ['run-001'], rtMin: 2000, width: 300, height: 300, aggregate: 'sum' });
      assert.ok(elsewhere.grid.values.some((v) => v > 0), 'undamaged tiles still answer');
    } finally {
      await consumer.stop({ drain: false });
      await queue.close();
    }
  });

  it('draws an image whose grid is larger than one queue message holds (2,048 × 2,048: 16 MiB of slots), in full', async () => {
    const big = new MemoryBlobStore();
    await generateDataset({ blobs: big, name: 'big', files: 1, scans: 2900, bins: 2100, seed: 6 });
    const queue = new MemoryTaskQueue({ pollIntervalMs: 5 });
    const consumers = [serveStrips({ queue, blobs: big, concurrency: 2 })];
    try {
      const service = new QueryService({ blobs: big, runner: createQueueStripRunner({ queue }) });
      const prepared = await service.prepare({ kind: 'heatmap', dataset: 'big', group: 'all', width: 2048, height: 2048 }, { format: 'png' });
      const { answer } = await service.answer(prepared);
      assert.deepEqual([answer.summary.rt.n, answer.summary.mz.n], [2048, 2048], 'one slot a pixel: the grid alone is 16 MiB');
      const png = PNG.sync.read(answer.body);
      assert.deepEqual([png.width, png.height], [2048, 2048]);
      const local = new QueryService({ blobs: big, runner: createLocalStripRunner(big) });
      assert.deepEqual(answer.body, (await local.answer(await local.prepare({ kind: 'heatmap', dataset: 'big', group: 'all', width: 2048, height: 2048 }, { format: 'png' }))).answer.body);
    } finally {
      await teardown({ queue, consumers });
    }
  });

  it('caches rendered answers by normalised query: the same ETag for the same answer, a hit the second time', async () => {
    const s = setup();
    try {
      const one = await s.service.prepare({ kind: 'heatmap', dataset: 'q', files: ['run-002', 'run-001'], width: 64, height: 64 }, { format: 'png' });
      const two = await s.service.prepare({ kind: 'heatmap', dataset: 'q', files: ['run-001', 'run-002'], width: 64, height: 64, aggregate: 'max' }, { format: 'png', scale: 'log' });
      assert.equal(one.etag, two.etag);
      assert.notEqual(one.etag, (await s.service.prepare({ kind: 'heatmap', dataset: 'q', files: ['run-001'], width: 64, height: 64 }, { format: 'png' })).etag);
      const [a, b] = await Promise.all([s.service.answer(one), s.service.answer(two)]);
      assert.equal(a.cached || b.cached, false);
      assert.equal(s.service.stats.joined, 1, 'the identical query joined the first');
      assert.equal(s.service.stats.computed, 1);
      const c = await s.service.answer(one);
      assert.equal(c.cached, true);
      assert.deepEqual(c.answer.body, a.answer.body);
      assert.equal(c.answer.body.subarray(1, 4).toString(), 'PNG');
    } finally {
      await teardown(s);
    }
  });

  after(() => {
    clearInterval(keepAlive);
  });
});
