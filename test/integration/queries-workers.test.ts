/**
 * The embedded query path end to end: datasets in a FileBlobStore, strips
 * as request/reply messages on an in-memory queue, computed by a
 * TaskWorker on worker threads that load the query task module. Answers
 * equal the in-process computation. Then the same over RabbitMQ, where
 * strip answers, render tasks and PNGs cross the broker as frames.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { MemoryTaskQueue } from '../../src/adapters/embedded/memory-task-queue.js';
import { WorkerPool } from '../../src/workers/worker-pool.js';
import { TaskWorker } from '../../src/workers/task-worker.js';
import { generateDataset } from '../../src/queries/generate/generate-dataset.js';
import { createQueueStripRunner, QUERY_QUEUE } from '../../src/queries/scatter/queue-strip-runner.js';
import { QueryService } from '../../src/queries/service/query-service.js';
import { createLocalStripRunner } from '../../src/queries/service/strip-runner.js';
import { QUERY_TASKS_MODULE } from '../../src/queries/worker/query-tasks.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { createRabbitMqTaskQueue } from '../../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import { serveStrips } from '../../src/queries/worker/serve-strips.js';
import { deleteQueues, freshPrefix, RABBITMQ_URL } from '../helpers/rabbitmq.js';
import { requireService } from '../helpers/services.js';

describe('queries on worker threads', () => {
  let dir: TempDir;
  let blobs: FileBlobStore;
  let queue: MemoryTaskQueue;
  let pool: WorkerPool;
  let worker: TaskWorker;

  before(async () => {
    dir = createTempDir();
    blobs = new FileBlobStore({ root: dir.file('blobs') });
    await generateDataset({ blobs, name: 'threads', files: 2, scans: 150, bins: 1200, tileRows: 16, tileCols: 64, seed: 8 });
    queue = new MemoryTaskQueue();
    pool = new WorkerPool({
      threadEntry: new URL('../../src/runtime/thread-main.ts', import.meta.url),
      threadData: { tasksModule: QUERY_TASKS_MODULE, blobStore: { kind: 'fs', root: dir.file('blobs') }, claimCheckBytes: 16 * 1024 * 1024, logLevel: 'silent' },
      size: 2,
    });
    await pool.start();
    worker = new TaskWorker({ queue, pool, queueName: QUERY_QUEUE, concurrency: 8 });
    await worker.start();
  });

  after(async () => {
    await worker.stop({ drain: false });
    await pool.close();
    await queue.close();
    await blobs.close();
    dir.remove();
  });

  it('answers heatmaps, chromatograms and spectra as the in-process computation does', async () => {
    const threaded = new QueryService({ blobs, runner: createQueueStripRunner({ queue }), targetStripBytes: 32 * 1024 });
    const local = new QueryService({ blobs, runner: createLocalStripRunner(blobs), targetStripBytes: 32 * 1024 });
    const requests = [
      { kind: 'heatmap', dataset: 'threads', group: 'all', width: 50, height: 80, aggregate: 'max' },
      { kind: 'heatmap', dataset: 'threads', files: ['run-002'], rtMin: 500, rtMax: 2500, mzMin: 300, mzMax: 900, width: 30, height: 40, aggregate: 'mean' },
      { kind: 'chromatogram', dataset: 'threads', files: ['run-001'], mzMin: 600, mzMax: 650 },
      { kind: 'spectrum', dataset: 'threads', group: 'all', rtMin: 1000, rtMax: 1200 },
    ] as const;
    for (const request of requests) {
      const [a, b] = await Promise.all([threaded.query(request), local.query(request)]);
      assert.deepEqual(a.grid, b.grid, `${request.kind} on threads`);
      assert.ok(a.stats.subtasks >= 1 && a.grid.values.some((v) => v > 0));
    }
    assert.ok(worker.stats.succeeded >= 4);
    assert.equal(worker.stats.failed, 0);
  });
});

const noRabbit = await requireService('rabbitmq');

describe('queries over RabbitMQ', { skip: noRabbit }, () => {
  it('answers strips and draws PNGs through the broker, bytes as bytes, as the in-process computation does', async () => {
    const dir = createTempDir();
    const blobs = new FileBlobStore({ root: dir.file('blobs') });
    const prefix = freshPrefix();
    const queue = await createRabbitMqTaskQueue({ url: RABBITMQ_URL, prefix });
    const consumer = serveStrips({ queue, blobs, concurrency: 4 });
    try {
      await generateDataset({ blobs, name: 'broker', files: 2, scans: 120, bins: 900, tileRows: 16, tileCols: 64, seed: 5 });
      const viaBroker = new QueryService({ blobs, runner: createQueueStripRunner({ queue }), targetStripBytes: 16 * 1024 });
      const local = new QueryService({ blobs, runner: createLocalStripRunner(blobs), targetStripBytes: 16 * 1024 });
      const request = { kind: 'heatmap', dataset: 'broker', group: 'all', width: 64, height: 48, aggregate: 'max' } as const;
      const [a, b] = await Promise.all([viaBroker.query(request), local.query(request)]);
      assert.ok(a.stats.subtasks >= 2, 'several strips went through the broker');
      assert.deepEqual(a.grid, b.grid);
      const png = async (service: QueryService): Promise<Buffer> => (await service.answer(await service.prepare(request, { format: 'png' }))).answer.body;
      assert.deepEqual(await png(viaBroker), await png(local), 'the PNG drawn by the worker is byte for byte the local one');
    } finally {
      await consumer.stop();
      await queue.close();
      await deleteQueues(prefix, [QUERY_QUEUE]).catch(() => undefined);
      await blobs.close();
      dir.remove();
    }
  });
});
