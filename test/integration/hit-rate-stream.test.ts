/**
 * The Kappa property on the hit-rate example: the stream's totals over a
 * whole access log equal the page-hits batch job's counts on the same file.
 * The generated log's timestamps are spread over three days (with lines up
 * to two minutes out of order), so the 24 h windows really slide.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { createMillrace } from '../../src/runtime/millrace.js';
import { ingestFile } from '../../src/streams/runtime/file-source.js';
import type { StreamDeadLetter, ResultRecord } from '../../src/streams/runtime/records.js';
import { replayPipeline } from '../../src/streams/runtime/replay.js';
import { startPipeline } from '../../src/streams/runtime/run-pipeline.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';
import { DAY_MS, hitRate, totalHits } from '../../examples/hit-rate/index.js';
import { generateLogs } from '../../examples/page-hits/generate-logs.js';
import { formatStamp } from '../../examples/page-hits/log-vocabulary.js';
import { PAGE_HITS_TASKS, runPageHits } from '../../examples/page-hits/run-page-hits.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const START = Date.UTC(2024, 2, 1, 7);

/** Rewrites each line's timestamp: spread evenly over three days, each up to 2 minutes early. */
function spreadOverDays(path: string): void {
  const lines = readFileSync(path, 'latin1').split('\n');
  const step = (3 * DAY_MS) / lines.length;
  const spread = lines.map((line, i) => line.replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\]/, `[${formatStamp(START + Math.floor(i * step) - ((i * 7919) % 120) * 1000)}]`));
  writeFileSync(path, spread.join('\n'), 'latin1');
}

describe('examples/hit-rate', () => {
  let dir: TempDir;
  let batch: Map<string, number>;
  let rejected: number;
  before(async () => {
    dir = createTempDir('millrace-hit-rate-');
    await generateLogs(dir.file('access.log'), 1_500_000, 5);
    spreadOverDays(dir.file('access.log'));
    const millrace = await createMillrace({ dataDir: dir.file('engine'), threads: 1, logLevel: 'silent' });
    try {
      await millrace.startWorker({ tasks: PAGE_HITS_TASKS });
      const run = await runPageHits(millrace, [dir.file('access.log')], { out: dir.file('page-hits.csv') });
      rejected = run.result.rejects.count;
    } finally {
      await millrace.close();
    }
    const rows = readFileSync(dir.file('page-hits.csv'), 'utf8').trim().split('\n').slice(1);
    // A row is `page,count`, the page quoted (RFC 4180) when it holds a comma or a quote.
    batch = new Map(rows.map((row) => {
      const page = row.slice(0, row.lastIndexOf(','));
      return [page.startsWith('"') ? page.slice(1, -1).replace(/""/g, '"') : page, Number(row.slice(row.lastIndexOf(',') + 1))];
    }));
  });
  after(() => dir.remove());

  it('streams per-page totals over the whole log equal to the page-hits batch result', async () => {
    const log = new SqliteLog({ path: dir.file('streams.db') });
    const store = createStreamStore(log, new SqliteCheckpointStore({ database: log.database }));
    try {
      const ingested = await ingestFile(store, { path: dir.file('access.log'), topic: 'access-log', partitions: 2, batchLines: 1000 });
      assert.ok(ingested.lines > 4000);
      const again = await ingestFile(store, { path: dir.file('access.log'), topic: 'access-log', partitions: 2 });
      assert.equal(again.lines, 0, 'a second ingest of the same file appends nothing');

      const pipeline = hitRate();
      const running = await startPipeline(pipeline, { store, ranges: (await log.topicInfo('access-log')).endOffsets.map((to) => ({ from: 0, to })), batchSize: 500 });
      await running.done;
      const results = await readValues<ResultRecord<number>>(log, 'hit-rate');
      const ends = new Set(results.map((r) => r.end));
      assert.ok(ends.size > 72, `the 24 h range slid hour by hour over three days (${ends.size} range ends)`);
      assert.deepEqual(sorted(totalHits(results)), sorted(batch));

      const dead = await readValues<StreamDeadLetter>(log, 'hit-rate.dead-letters');
      assert.equal(dead.length, rejected, 'malformed lines: one dead letter each, as page-hits rejects them');
      assert.ok(dead.every((d) => d.reason === 'step-failed' && d.step === 'parse' && d.message.length > 0));
      assert.equal((await readValues(log, 'hit-rate.late')).length, 0);

      // Kappa: a replay over the same log gives the same results.
      const replay = await replayPipeline(pipeline, { store, label: 'check' });
      await replay.done;
      assert.deepEqual(await readValues(log, 'hit-rate.replay.check'), results);
    } finally {
      await store.checkpoints.close();
      await log.close();
    }
  });
});

async function readValues<T>(log: SqliteLog, topic: string): Promise<T[]> {
  const info = await log.topicInfo(topic);
  const values: T[] = [];
  for (let p = 0; p < info.partitions; p++) for (let o = 0; o < info.endOffsets[p]!; o += 5000) values.push(...(await log.read(topic, p, o, { limit: 5000 })).map((r) => r.value as T));
  return values;
}

function sorted(map: Map<string, number>): Array<[string, number]> {
  return [...map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
