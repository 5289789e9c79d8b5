/** The reducer's two merges give the same bytes; values arrive in run order. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileBlobStore } from '../../../src/adapters/embedded/file-blob-store.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { MapReduceOptions } from '../../../src/mapreduce/map-reduce-types.js';
import { runReduce } from '../../../src/mapreduce/reduce-runner.js';
import { encodeRun, readPairs, segmentsOf, type RunRef } from '../../../src/mapreduce/run-format.js';
import type { TaskContext } from '../../../src/workers/task-definition.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

describe('runReduce', () => {
  let dir: TempDir;
  let blobs: FileBlobStore;
  let runs: RunRef[];
  before(async () => {
    dir = createTempDir();
    blobs = new FileBlobStore({ root: dir.path });
    runs = [];
    // Six runs, alternately sorted and not, with overlapping keys: run i holds keys k0..k(9+i) with value [i].
    for (let i = 0; i < 6; i++) {
      const keys = Array.from({ length: 10 + i }, (_, k) => `k${(k * 17) % (10 + i)}`);
      const run: RunRef = { ref: undefined as never, bounds: [], sha256: [], sorted: i % 2 === 0 };
      const body = encodeRun(keys, 2, () => `[${i}]`, run);
      run.ref = await blobs.put(`runs/${i}`, (async function* chunks() {
        yield* body;
      })());
      runs.push(run);
    }
  });
  after(async () => {
    await blobs.close();
    dir.remove();
  });

  const job = (mergeInMemoryBytes: number): MapReduceOptions<number, number[], unknown> => ({
    name: 'test', version: 1, partitions: 2, map: () => undefined, reduce: (_key, values) => values, mergeInMemoryBytes,
  });
  const context = { taskId: 't', attempt: 1, blobs: undefined as never, logger: silentLogger, signal: new AbortController().signal, heartbeat: () => undefined } satisfies TaskContext;

  it('merges in memory and streaming alike: keys in order, values in run order', async () => {
    for (const partition of [0, 1]) {
      const outputs = [];
      for (const [name, bytes] of [['memory', 1 << 30], ['streaming', 0]] as const) {
        const output = await runReduce(job(bytes), { processId: `p-${name}`, partition, segments: segmentsOf(runs, partition) }, { ...context, blobs });
        const pairs: Array<[string, number[]]> = [];
        for await (const pair of readPairs<number[]>(blobs, output.ref)) pairs.push(pair);
        outputs.push({ sha256: output.ref.sha256, keys: output.keys, pairs });
      }
      assert.equal(outputs[0]!.sha256, outputs[1]!.sha256, `partition ${partition}: the same bytes`);
      const pairs = outputs[0]!.pairs;
      assert.deepEqual(pairs.map(([key]) => key), pairs.map(([key]) => key).sort());
      for (const [key, values] of pairs) {
        const expected = [0, 1, 2, 3, 4, 5].filter((i) => Number(key.slice(1)) < 10 + i);
        assert.deepEqual(values, expected, key);
      }
    }
  });
});
