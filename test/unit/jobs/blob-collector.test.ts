import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteEventStore } from '../../../src/adapters/embedded/sqlite-event-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { BlobCollector, DEFAULT_BLOB_TTL_MS, type BlobCollection } from '../../../src/jobs/blob-collector.js';
import { refsIn } from '../../../src/jobs/blob-references.js';
import { processStreamId } from '../../../src/jobs/process-events.js';
import type { BlobEntry, BlobRef } from '../../../src/ports/blob-store.js';
import { checkIn } from '../../../src/workers/claim-check.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { MemoryBlobStore } from '../queries/memory-blob-store.js';

const HOUR = 3_600_000;
const big = (tag: string): { tag: string; padding: string } => ({ tag, padding: 'x'.repeat(2000) });

describe('BlobCollector', () => {
  let dir: TempDir;
  let events: SqliteEventStore;
  let clock: ManualClock;
  let blobs: MemoryBlobStore;

  beforeEach(() => {
    dir = createTempDir('millrace-blob-gc-');
    events = new SqliteEventStore({ path: dir.file('events.db') });
    clock = new ManualClock(1_000_000_000_000);
    blobs = new MemoryBlobStore(clock);
  });

  afterEach(async () => {
    await events.close();
    dir.remove();
  });

  const collector = (more: unknown[] = []): BlobCollector => new BlobCollector({ events, blobs, clock, logger: silentLogger, moreReferences: async () => more });
  const claim = async (value: unknown): Promise<{ $claim: BlobRef }> => (await checkIn(value, blobs, 1024)) as { $claim: BlobRef };
  const append = async (processId: string, ...list: Array<[type: string, data: unknown]>): Promise<void> => {
    const stream = processStreamId(processId);
    await events.append(stream, list.map(([type, data]) => ({ type, data })), await events.streamVersion(stream));
  };
  const put = (key: string, text = key): Promise<BlobRef> => blobs.put(key, Buffer.from(text));
  const removedKeys = (c: BlobCollection): string[] => c.removed.map((b) => b.key).sort();
  const keptAs = (c: BlobCollection, key: string): string | undefined => c.kept.find((k) => k.key === key)?.reason;

  it('removes unreferenced claims past the TTL, keeps young and referenced ones', async () => {
    const orphan = await claim(big('orphan'));
    const input = await claim(big('input'));
    const output = await claim(big('output'));
    const lettered = await claim(big('letter'));
    await append('p1',
      ['ProcessStarted', { processId: 'p1', definition: 'd', version: 1, input: 1, startedAt: 0 }],
      ['TaskScheduled', { taskId: 'p1/s/0', step: 's', index: 0, attempt: 1, task: 't', input, timeoutMs: 1 }],
      ['TaskCompleted', { taskId: 'p1/s/0', attempt: 1, output, durationMs: 1, completedAt: 1 }],
      ['ProcessCompleted', { output: 'done', completedAt: 2 }]);
    await clock.advance(DEFAULT_BLOB_TTL_MS + HOUR);
    const young = await claim(big('young'));

    const result = await collector([{ taskId: 'b/1', input: lettered }]).collect();
    assert.deepEqual(removedKeys(result), [orphan.$claim.key]);
    assert.equal(keptAs(result, input.$claim.key), 'referenced');
    assert.equal(keptAs(result, output.$claim.key), 'referenced', "a completed process's task output stays: its history reads it");
    assert.equal(keptAs(result, lettered.$claim.key), 'referenced', 'a dead letter may be requeued');
    assert.equal(keptAs(result, young.$claim.key), 'young', 'its reference may be on its way');
    assert.equal(await blobs.head(orphan.$claim.key), undefined);
    for (const kept of [input, output, lettered, young]) assert.ok(await blobs.head(kept.$claim.key));
  });

  it('reports on a dry run and removes nothing', async () => {
    const orphan = await claim(big('orphan'));
    await clock.advance(DEFAULT_BLOB_TTL_MS + 1);
    const dry = await collector().collect({ dryRun: true });
    assert.deepEqual(removedKeys(dry), [orphan.$claim.key]);
    assert.ok(await blobs.head(orphan.$claim.key));
    assert.deepEqual(removedKeys(await collector().collect({ ttlMs: DEFAULT_BLOB_TTL_MS + HOUR })), [], 'a longer TTL keeps it');
    assert.deepEqual(removedKeys(await collector().collect()), [orphan.$claim.key]);
  });

  it('keeps content put again since it was listed (a claim in use again)', async () => {
    const value = big('reused');
    const reused = await claim(value);
    await clock.advance(DEFAULT_BLOB_TTL_MS + 1);
    // Between the listing and the delete, someone uploads the same payload again (its key is its hash).
    const racing = new MemoryBlobStore(clock);
    const inner = blobs;
    let raced = false;
    racing.listEntries = async function* (prefix: string): AsyncGenerator<BlobEntry> {
      for await (const entry of inner.listEntries(prefix)) {
        if (prefix === 'claims/' && !raced) {
          raced = true;
          await clock.advance(1);
          await checkIn(value, inner, 1024);
        }
        yield entry;
      }
    };
    racing.delete = (key) => inner.delete(key);
    const result = await new BlobCollector({ events, blobs: racing, clock, logger: silentLogger }).collect();
    assert.ok(raced);
    assert.deepEqual(removedKeys(result), []);
    assert.equal(keptAs(result, reused.$claim.key), 'young');
    assert.ok(await blobs.head(reused.$claim.key));
  });

  it("removes a MapReduce process's intermediates once it completed or was cancelled, never its result", async () => {
    const done = { runs: [await put('mapreduce/done/map-0-0'), await put('mapreduce/done/map-1-0')], out: await put('mapreduce/done/reduce-0') };
    const final = await put('mapreduce/done/final/report.csv');
    await put('mapreduce/done/map-9-9', 'a zombie attempt wrote this after the end');
    await append('done',
      ['ProcessStarted', { processId: 'done', definition: 'mr', version: 1, input: { inputs: [await put('inputs/a.txt')] }, startedAt: 0 }],
      ['TaskCompleted', { taskId: 'done/map/0', attempt: 1, output: { runs: done.runs }, durationMs: 1, completedAt: 1 }],
      ['ProcessCompleted', { output: { outputs: [done.out] }, completedAt: 2 }]);
    // A completed process whose output was large enough to be claimed: its refs are read through the claim.
    const claimedOut = await put('mapreduce/big/reduce-0');
    const ticket = await claim({ outputs: [claimedOut], padding: 'y'.repeat(2000) });
    await append('big', ['ProcessStarted', { processId: 'big', definition: 'mr', version: 1, input: 1, startedAt: 0 }], ['ProcessCompleted', { output: ticket, completedAt: 2 }]);
    await put('mapreduce/gone/map-0-0');
    await put('mapreduce/gone/final/x');
    await append('gone', ['ProcessStarted', { processId: 'gone', definition: 'mr', version: 1, input: 1, startedAt: 0 }], ['ProcessCancelled', { reason: 'asked', cancelledAt: 1 }]);
    await put('mapreduce/running/map-0-0');
    await append('running', ['ProcessStarted', { processId: 'running', definition: 'mr', version: 1, input: 1, startedAt: 0 }]);
    await put('mapreduce/failed/map-0-0');
    await append('failed', ['ProcessStarted', { processId: 'failed', definition: 'mr', version: 1, input: 1, startedAt: 0 }], ['ProcessFailed', { reason: 'x', failedAt: 1 }]);
    const borrowed = await put('mapreduce/lent/map-0-0');
    await append('lent', ['ProcessStarted', { processId: 'lent', definition: 'mr', version: 1, input: 1, startedAt: 0 }], ['ProcessCancelled', { reason: 'x', cancelledAt: 1 }]);
    await append('borrower', ['ProcessStarted', { processId: 'borrower', definition: 'other', version: 1, input: { run: borrowed }, startedAt: 0 }]);
    await put('mapreduce/stranger/map-0-0');
    await put('datasets/mine/file.bin');
    await clock.advance(DEFAULT_BLOB_TTL_MS + 1);

    const result = await collector().collect();
    assert.deepEqual(removedKeys(result), ['mapreduce/done/map-0-0', 'mapreduce/done/map-1-0', 'mapreduce/done/map-9-9', 'mapreduce/gone/final/x', 'mapreduce/gone/map-0-0']);
    assert.equal(keptAs(result, done.out.key), 'result');
    assert.equal(keptAs(result, final.key), 'result', "finalize's files are the user's result");
    assert.equal(keptAs(result, claimedOut.key), 'result');
    assert.equal(keptAs(result, 'mapreduce/running/map-0-0'), 'process-open');
    assert.equal(keptAs(result, 'mapreduce/failed/map-0-0'), 'process-open', 'a failed process can be resumed');
    assert.equal(keptAs(result, borrowed.key), 'referenced');
    assert.equal(keptAs(result, 'mapreduce/stranger/map-0-0'), 'process-unknown');
    assert.equal(keptAs(result, 'datasets/mine/file.bin'), undefined, 'outside the engine prefixes: not even looked at');
    assert.ok(await blobs.head('datasets/mine/file.bin'));
    assert.ok(await blobs.head('inputs/a.txt'));
  });

  it('runs a round every interval while started', async () => {
    await claim(big('orphan'));
    await clock.advance(DEFAULT_BLOB_TTL_MS + 1);
    const gc = new BlobCollector({ events, blobs, clock, logger: silentLogger, intervalMs: HOUR });
    gc.start();
    try {
      await clock.advance(HOUR);
      for (let i = 0; i < 100 && blobs.blobs.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(blobs.blobs.size, 0);
    } finally {
      await gc.stop();
    }
  });
});

describe('refsIn', () => {
  it('finds refs at any depth, tickets included, in document order', () => {
    const ref = (key: string): BlobRef => ({ store: 'fs', key, size: 1, sha256: 'a'.repeat(64) });
    let deep: unknown = { $claim: ref('deep') };
    for (let i = 0; i < 10_000; i++) deep = [deep];
    assert.deepEqual(refsIn({ a: ref('one'), b: [1, 'x', { c: { $claim: ref('two') } }], d: deep, e: { key: 'k', size: 1 } }).map((r) => r.key), ['one', 'two', 'deep']);
  });
});
