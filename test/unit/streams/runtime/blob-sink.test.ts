/** Blob file sinks: one NDJSON file per window end, deterministic, so a step repeated after a crash rewrites the same files. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileBlobStore } from '../../../../src/adapters/embedded/file-blob-store.js';
import { count } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { sliding } from '../../../../src/streams/windows/window-spec.js';
import { stream, type PipelineDefinition } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../../../src/streams/runtime/records.js';
import { replayPipeline } from '../../../../src/streams/runtime/replay.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { blobSink, topicSink } from '../../../../src/streams/runtime/sinks.js';
import type { StreamStore } from '../../../../src/streams/runtime/stream-store.js';
import { createTempDir, type TempDir } from '../../../helpers/temp-dir.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

interface Hit { page: string; at: number }

function definition(): PipelineDefinition<number> {
  return stream<Hit>('hits', { topic: 'hits' })
    .keyBy((hit) => hit.page, { time: eventTime<Hit>('at'), partitions: 2 })
    .window(sliding({ range: 2_000, slide: 1_000 }))
    .aggregate(count)
    .to(blobSink('reports/hits'), topicSink('hits-out'));
}

async function filesUnder(blobs: FileBlobStore, prefix: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const ref of blobs.list(prefix)) files.set(ref.key, new TextDecoder().decode(await blobs.get(ref)));
  return files;
}

/** A store whose `failAt`-th window commit with results fails, as a crash after the blob writes and before the commit would. */
function crashingOnce(store: StreamStore, failAt: number, lost: string[]): StreamStore {
  let windowCommits = 0;
  return {
    ...store,
    commit: async (commit) => {
      const results = commit.appends.find((append) => append.topic === 'hits-out')?.records.length ?? 0;
      if (results > 0 && ++windowCommits === failAt) {
        // The results this commit would have covered: their files are written, the commit is not.
        for (const { topic, records } of commit.appends) if (topic === 'hits-out') lost.push(...records.map((r) => (r.value as ResultRecord).id));
        throw new Error('crash before the commit');
      }
      return store.commit(commit);
    },
  };
}

describe('stream blob sink', () => {
  let dir: TempDir;
  let t: TestStore;
  let blobs: FileBlobStore;
  before(async () => {
    dir = createTempDir('millrace-blob-sink-');
    t = openTestStore();
    blobs = new FileBlobStore({ root: dir.path });
    await t.log.createTopic('hits', { partitions: 2 });
    await appendAll(t.log, 'hits', Array.from({ length: 2_000 }, (_, i) => ({ value: { page: `p${i % 7}`, at: 5 * i }, partition: i % 2 })));
  });
  after(async () => {
    await blobs.close();
    await t.close();
    dir.remove();
  });

  it('writes each window end\'s results as NDJSON files, rewritten identically after a crash between write and commit', async () => {
    const ranges = await wholeTopic(t.log, 'hits');
    const lost: string[] = [];
    const crashing = await startPipeline(definition(), { store: crashingOnce(t.store, 3, lost), blobs, ranges, batchSize: 64 });
    await assert.rejects(crashing.done, /crash before the commit/);
    await crashing.stop();
    const beforeRestart = await filesUnder(blobs, 'reports/hits/');
    assert.ok(lost.length > 0, 'the failed commit covered results');
    const written = [...beforeRestart.values()].flatMap((text) => text.trimEnd().split('\n').map((line) => (JSON.parse(line) as ResultRecord).id));
    assert.ok(lost.every((id) => written.includes(id)), 'whose files were written before the crash');
    await (await startPipeline(definition(), { store: t.store, blobs, ranges, batchSize: 64 })).done;

    const files = await filesUnder(blobs, 'reports/hits/');
    for (const [key, text] of beforeRestart) assert.equal(files.get(key), text, `${key} kept its bytes`);
    const fromFiles = [...files.values()].flatMap((text) => text.trimEnd().split('\n').map((line) => JSON.parse(line) as ResultRecord<number>));
    const fromTopic = (await readAll(t.log, 'hits-out')).map((r) => r.value as ResultRecord<number>);
    assert.equal(new Set(fromFiles.map((r) => r.id)).size, fromFiles.length, 'no result in two files');
    assert.deepEqual(fromFiles.map((r) => r.id).sort(), fromTopic.map((r) => r.id).sort(), 'the files hold exactly the topic sink\'s results');
    assert.equal(fromFiles.reduce((n, r) => n + r.value, 0), 2 * 2_000, 'each hit in its two ranges');
    for (const [key, text] of files) {
      const match = /^reports\/hits\/(\d+)\/([01])-final\.ndjson$/.exec(key);
      assert.ok(match, key);
      const results = text.trimEnd().split('\n').map((line) => JSON.parse(line) as ResultRecord<number>);
      assert.ok(results.every((r) => r.end === Number(match[1]) && r.kind === 'final'), `${key} holds the finals of its end`);
    }
  });

  it('a replay writes under its own prefix; a run without a blob store is refused', async () => {
    const replay = await replayPipeline(definition(), { store: t.store, blobs, label: 'again' });
    await replay.done;
    assert.equal(replay.outputs.get('reports/hits'), 'reports/hits.replay.again');
    const live = await filesUnder(blobs, 'reports/hits/');
    const replayed = await filesUnder(blobs, 'reports/hits.replay.again/');
    assert.deepEqual([...replayed.keys()].map((key) => key.replace('.replay.again', '')).sort(), [...live.keys()].sort());
    await assert.rejects(startPipeline(definition(), { store: t.store }), { code: 'CONFIG_INVALID', message: /a blob sink needs a blob store/ });
    assert.throws(() => blobSink('../up'), { code: 'CONFIG_INVALID' });
  });
});
