/** MapReduce end to end: the page-hits example and test jobs through createMillrace, real threads, the durable queue. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describeProblem, pageOf } from '../../examples/page-hits/clf.js';
import { generateLogs, type GeneratedLogs } from '../../examples/page-hits/generate-logs.js';
import { byHitsThenPage, csvChunks, type PageCount, type PageHitsSummary } from '../../examples/page-hits/page-hits.js';
import { runPageHits } from '../../examples/page-hits/run-page-hits.js';
import type { ProcessDefinition } from '../../src/jobs/process-definition.js';
import type { ProcessView } from '../../src/jobs/process-view.js';
import { eachLine } from '../../src/mapreduce/line-decoder.js';
import type { MapReduceInput, MapReduceResult } from '../../src/mapreduce/map-reduce-types.js';
import { readPairs } from '../../src/mapreduce/run-format.js';
import { uploadFiles } from '../../src/mapreduce/upload-files.js';
import type { BlobRef } from '../../src/ports/blob-store.js';
import { createMillrace, type Millrace, type RunningWorker } from '../../src/runtime/millrace.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { emitsMap, flakyPageCounts, nonDeterministic, pageCounts, pageCountsStreamed, pageHits, reducesToBigInt } from '../fixtures/mapreduce-jobs.js';

const tasks = new URL('../fixtures/mapreduce-jobs.ts', import.meta.url);

describe('mapreduce', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let worker: RunningWorker;
  let logs: GeneratedLogs;
  let inputs: BlobRef[];
  let expectedCsv: string;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.file('engine'), threads: 2, logLevel: 'silent' });
    worker = await millrace.startWorker({ tasks });
    logs = await generateLogs(dir.file('access.log'), 3_000_000, 11);
    inputs = await uploadFiles(millrace.blobs, [logs.path]);
    expectedCsv = referenceCsv(readFileSync(logs.path));
  });
  after(async () => {
    await millrace.close();
    dir.remove();
  });

  const run = async (definition: ProcessDefinition<MapReduceInput>, input: MapReduceInput): Promise<ProcessView> => millrace.runProcess(definition, input);
  const csvOf = async (view: ProcessView): Promise<string> => {
    assert.equal(view.status, 'completed', view.failure?.reason ?? '');
    const result = view.output as MapReduceResult<PageHitsSummary>;
    return Buffer.from(await millrace.blobs.get(result.result!.csv)).toString('utf8');
  };

  it('counts page hits: the CSV matches a reference count, malformed lines are counted with samples', async () => {
    const view = await run(pageHits.process, { inputs, splitBytes: 256 * 1024 });
    assert.equal(await csvOf(view), expectedCsv);
    const result = view.output as MapReduceResult<PageHitsSummary>;
    assert.deepEqual(
      { records: result.stats.records, rejected: result.stats.rejected, inputBytes: result.stats.inputBytes, splits: result.stats.splits, partitions: result.stats.partitions },
      { records: logs.lines, rejected: logs.malformed, inputBytes: logs.bytes, splits: 12, partitions: 4 },
    );
    assert.equal(result.rejects.count, logs.malformed);
    assert.equal(result.rejects.samples.length, 10);
    const content = readFileSync(logs.path);
    for (const sample of result.rejects.samples) {
      const line = content.subarray(sample.offset, content.indexOf(10, sample.offset)).toString('utf8');
      assert.equal(sample.record, line.slice(0, 200), 'a sample points at its line');
      assert.equal(sample.reason, describeProblem(pageOf(line) as number));
      assert.equal(sample.input, inputs[0]!.key);
    }
    assert.deepEqual(result.rejects.samples.map((s) => s.offset), [...result.rejects.samples.map((s) => s.offset)].sort((a, b) => a - b), 'the first rejects in input order');
    assert.equal(result.result!.pages, expectedCsv.trim().split('\n').length - 1);
    assert.equal(result.result!.hits, logs.lines - logs.malformed);
  });

  it('writes the same bytes whatever the thread count and split size', async () => {
    const outputs = new Set<string>();
    const csvs = new Set<string>();
    const record = async (view: ProcessView): Promise<void> => {
      csvs.add(await csvOf(view));
      outputs.add(JSON.stringify((view.output as MapReduceResult).outputs.map((ref) => ref.sha256)));
    };
    await worker.stop();
    const single = await millrace.startWorker({ tasks, threads: 1 });
    try {
      await record(await run(pageHits.process, { inputs, splitBytes: 100 * 1024 }));
    } finally {
      await single.stop();
      worker = await millrace.startWorker({ tasks });
    }
    await record(await run(pageHits.process, { inputs, splitBytes: 100 * 1024 })); // two threads
    for (const splitBytes of [1024 * 1024, 333_333, undefined]) await record(await run(pageHits.process, { inputs, ...(splitBytes === undefined ? {} : { splitBytes }) }));
    assert.deepEqual([...csvs], [expectedCsv]);
    assert.equal(outputs.size, 1, 'reduce outputs are identical too');
  });

  it('gives the same outputs through the streaming merge, spills and no combiner as through the fast path', async () => {
    const fast = await run(pageCounts.process, { inputs, splitBytes: 512 * 1024 });
    const slow = await run(pageCountsStreamed.process, { inputs }); // one split of three 1 MiB blocks: three runs
    assert.equal(slow.status, 'completed', slow.failure?.reason ?? '');
    const [fastResult, slowResult] = [fast.output as MapReduceResult, slow.output as MapReduceResult];
    assert.ok(slowResult.stats.runs > slowResult.stats.splits, 'the slow job spilled');
    assert.deepEqual(slowResult.outputs.map((r) => r.sha256), fastResult.outputs.map((r) => r.sha256));
    const pairs: PageCount[] = [];
    for (const ref of slowResult.outputs) for await (const pair of readPairs<number>(millrace.blobs, ref)) pairs.push(pair);
    assert.equal(Buffer.concat([...csvChunks(pairs.sort(byHitsThenPage))]).toString(), expectedCsv);
  });

  it('retries a map task that failed on its first attempt, and the output does not change', async () => {
    const view = await run(flakyPageCounts.process, { inputs, splitBytes: 1024 * 1024 });
    assert.equal(view.status, 'completed', view.failure?.reason ?? '');
    const history = await millrace.orchestrator.history(view.processId);
    const failed = history.filter((e) => e.type === 'TaskFailed').map((e) => e.data as { taskId: string; failure: { message: string } });
    assert.deepEqual(failed.map((f) => f.taskId), [`${view.processId}/map/0`]);
    assert.match(failed[0]!.failure.message, /map of "flaky-page-counts" failed on the record at byte \d+ of input 1 \(".+"\), split 0: injected failure on the first attempt — record: ".+"/);
    const reference = await run(pageCounts.process, { inputs, splitBytes: 1024 * 1024 });
    assert.deepEqual((view.output as MapReduceResult).outputs.map((r) => r.sha256), (reference.output as MapReduceResult).outputs.map((r) => r.sha256));
  });

  it('fails with a clear reason for a missing input blob, without retrying', async () => {
    const missing: BlobRef = { ...inputs[0]!, key: 'inputs/nowhere/access.log' };
    const view = await run(pageHits.process, { inputs: [inputs[0]!, missing] });
    assert.equal(view.status, 'failed');
    assert.match(view.failure!.reason, /step "map" task \d+ failed after 1 attempt: input 2 \("inputs\/nowhere\/access.log"\) is not in blob store "fs": upload it first/);
  });

  it('fails with a clear reason for an input that is not a list of blob refs', async () => {
    const view = await millrace.runProcess(pageHits.process, { inputs: ['access.log'] } as unknown as MapReduceInput);
    assert.equal(view.status, 'failed');
    assert.match(view.failure!.reason, /step "map" items threw: mapreduce "page-hits": inputs\[0\] is not a blob ref \(\{ store, key, size, sha256 \}\), got "access.log"/);
  });

  it('names the key and the type when map or reduce produce a value JSON cannot carry', async () => {
    const emitted = await run(emitsMap.process, { inputs });
    assert.equal(emitted.status, 'failed');
    assert.match(emitted.failure!.reason, /non-retryable error: map of "emits-map" failed on the record at byte \d+ .*: map of "emits-map" emitted for key ".+" a value that is not plain JSON: it holds a Map/);
    const reduced = await run(reducesToBigInt.process, { inputs });
    assert.equal(reduced.status, 'failed');
    assert.match(reduced.failure!.reason, /reduce of "reduces-to-bigint" returned for key ".*" a value that is not plain JSON: it holds a BigInt/);
  });

  it('fails a non-deterministic map on retry with BLOB_CONFLICT saying why', async () => {
    const view = await run(nonDeterministic.process, { inputs });
    assert.equal(view.status, 'failed');
    assert.equal(view.failure!.failure?.type, 'BLOB_CONFLICT');
    assert.match(view.failure!.reason, /this attempt emitted different output than an earlier attempt of the same split.*map and combine must be deterministic/);
  });

  it('reads several inputs, an empty one among them, and writes the CSV to a file through runPageHits', async () => {
    const empty = dir.file('empty.log');
    writeFileSync(empty, '');
    const out = dir.file('page-hits.csv');
    const twice = await runPageHits(millrace, [logs.path, empty, logs.path], { out, splitBytes: 2 * 1024 * 1024 });
    assert.equal(twice.result.stats.inputs, 3);
    assert.equal(twice.result.stats.records, 2 * logs.lines);
    const doubled = expectedCsv.trim().split('\n').slice(1).map((row) => row.replace(/,(\d+)$/, (_, n: string) => `,${Number(n) * 2}`));
    assert.equal(readFileSync(out, 'utf8'), `page,count\n${doubled.join('\n')}\n`);
  });

  it('reports upload progress in bytes of all the files, ending at their total', async () => {
    const calls: Array<[number, number]> = [];
    const refs = await uploadFiles(millrace.blobs, [logs.path, logs.path], { onProgress: (uploaded, total) => calls.push([uploaded, total]) });
    const total = 2 * statSync(logs.path).size;
    assert.equal(refs.reduce((sum, ref) => sum + ref.size, 0), total);
    assert.ok(calls.length >= 2, 'called as chunks go in');
    assert.deepEqual(calls.at(-1), [total, total]);
    assert.ok(calls.every(([uploaded, of], i) => of === total && (i === 0 || uploaded > calls[i - 1]![0])), 'rising, against one total');
  });

  it('names a missing input file before uploading anything', async () => {
    await assert.rejects(runPageHits(millrace, [logs.path, dir.file('no-such.log')]), { code: 'INPUT_NOT_FOUND', message: /input file ".*no-such.log" does not exist/ });
  });
});

/** The page-hits answer computed the plain way, for comparison. */
function referenceCsv(content: Buffer): string {
  const counts = new Map<string, number>();
  eachLine(content, (line) => {
    const page = pageOf(line);
    if (typeof page === 'string') counts.set(page, (counts.get(page) ?? 0) + 1);
  });
  return Buffer.concat([...csvChunks([...counts].sort(byHitsThenPage))]).toString('utf8');
}
