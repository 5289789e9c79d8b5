/**
 * Upload before publish: every path that moves a payload to the blob store
 * (a process's input and its tasks' inputs in the orchestrator, a batch's
 * inputs in `runTasks`, task outputs in worker threads) finishes the upload
 * before the event or message carrying its ticket is written, so no
 * message ever points to a missing blob. The main thread's uploads are
 * slowed down to widen any race; every append and publish checks, at that
 * moment, that each ref it carries is stored with that content.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { defineProcess } from '../../src/jobs/process-definition.js';
import { refsIn } from '../../src/jobs/blob-references.js';
import type { BlobStore } from '../../src/ports/blob-store.js';
import type { EventStore } from '../../src/ports/event-store.js';
import type { TaskQueue } from '../../src/ports/task-queue.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasks = new URL('../fixtures/tasks.ts', import.meta.url);
const padding = 'p'.repeat(3000);

const bigEcho = defineProcess<{ n: number; padding: string }>('big-echo', 1, (p) => {
  p.batch('echo', { task: 'echo', items: ({ input }) => Array.from({ length: input.n }, (_, i) => ({ i, padding: input.padding })) });
  p.output(({ outputs }) => (outputs.echo as Array<{ i: number }>).map((o) => o.i));
});

/** Wraps `target` so that `method` first runs `check` on its arguments. */
function checking<T extends object>(target: T, method: string, check: (args: unknown[]) => Promise<void>): T {
  return new Proxy(target, {
    get(object, prop) {
      const value = Reflect.get(object, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (prop !== method) return (value as (...args: unknown[]) => unknown).bind(object);
      return async (...args: unknown[]) => {
        await check(args);
        return (value as (...args: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

describe('claim-check: upload before publish', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let verifier: FileBlobStore;
  const seen = { appends: 0, publishes: 0, refs: 0, dangling: [] as string[] };

  const verify = async (where: string, value: unknown): Promise<void> => {
    for (const ref of refsIn(value)) {
      seen.refs++;
      const stored = await verifier.head(ref.key);
      if (stored?.sha256 !== ref.sha256 || stored.size !== ref.size) seen.dangling.push(`${where}: ${ref.key}`);
    }
  };

  before(async () => {
    dir = createTempDir('millrace-claim-order-');
    verifier = new FileBlobStore({ root: dir.file('blobs') });
    millrace = await createMillrace({
      dataDir: dir.path, threads: 1, logLevel: 'silent', claimCheckBytes: 1024,
      wrap: {
        // Slow uploads: a path that did not await its upload would publish before the blob is there.
        blobs: (blobs: BlobStore) => checking(blobs, 'put', () => sleep(20)),
        events: (events: EventStore) => checking(events, 'append', async ([stream, list]) => {
          seen.appends++;
          await verify(`append to ${String(stream)}`, (list as Array<{ data: unknown }>).map((e) => e.data));
        }),
        queue: (queue: TaskQueue) => checking(queue, 'publish', async ([name, messages]) => {
          seen.publishes++;
          await verify(`publish to ${String(name)}`, messages);
        }),
      },
    });
    await millrace.startWorker({ tasks });
  });

  after(async () => {
    await millrace.close();
    await verifier.close();
    dir.remove();
  });

  it('a process with claimed input, task inputs and task outputs publishes no ticket before its blob', async () => {
    const view = await millrace.runProcess(bigEcho, { n: 12, padding });
    assert.equal(view.status, 'completed');
    assert.deepEqual(view.output, Array.from({ length: 12 }, (_, i) => i));
    assert.deepEqual(seen.dangling, []);
    assert.ok(seen.refs >= 12 * 2 + 1, `checked ${seen.refs} refs: the input, each task's input and output`);
  });

  it('a task batch with claimed inputs and outputs publishes no ticket before its blob', async () => {
    const before = seen.refs;
    const report = await millrace.runTasks<unknown, { i: number }>('echo', Array.from({ length: 8 }, (_, i) => ({ i, padding: `${padding}${i}` })));
    assert.equal(report.failed, 0);
    assert.deepEqual(report.outputs.map((o) => o?.i), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(seen.dangling, []);
    assert.ok(seen.refs - before >= 8, `checked ${seen.refs - before} refs in the batch's task messages`);
    assert.ok(seen.publishes > 0 && seen.appends > 0);
  });
});
