/**
 * Fault: a pipeline's tasks over two runner threads of one process, on one
 * SQLite file. Threads exit abruptly (process.exit in a step: no goodbye,
 * like a crash) after a few thousand events, three times in all; each is
 * replaced by a new thread and runner. Afterwards the results equal a
 * single-runner run and a batch recomputation: zero lost, zero duplicated.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import type { KeyedRecord, ResultRecord } from '../../src/streams/runtime/records.js';
import { startRunnerThreads } from '../../src/streams/runtime/runner-threads.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { readTopicValues, runInOneProcess, writeSequenceLog } from './support/sequence-log.js';
import { expectedWindows, sequenceEvents } from './kill-stream-pipeline.js';

const EVENTS = 12_000;

describe('fault: runner threads that die and are replaced', () => {
  let dir: TempDir;
  const events = sequenceEvents(EVENTS);
  before(async () => {
    dir = createTempDir('millrace-stream-threads-');
    await writeSequenceLog(dir.file('single.db'), events);
    await writeSequenceLog(dir.file('threads.db'), events);
  });
  after(() => dir.remove());

  it('spreads the tasks over threads, survives three thread deaths, and equals a single-runner run', async () => {
    const ranges = await runInOneProcess(dir.file('single.db'));

    const budget = new Int32Array(new SharedArrayBuffer(4));
    budget[0] = 3;
    const running = await startRunnerThreads({
      module: new URL('./stream-thread-pipeline.ts', import.meta.url), stream: 'seq',
      storeModule: new URL('./stream-thread-store.ts', import.meta.url),
      threads: 2, leaseMs: 1_000, batchSize: 97, pollIntervalMs: 10, ranges,
      threadData: { budget, crashAfter: 3_000, path: dir.file('threads.db') },
    });
    await running.done;
    process.stdout.write(`# stream-threads: events=${EVENTS} runners=${running.runnerIds.length} restarts=${running.restarts}\n`);
    assert.equal(running.restarts, 3, 'three threads died and were replaced');
    assert.equal(running.runnerIds.length, 5);

    const keyed = (await readTopicValues(dir.file('threads.db'), 'seq.keyed')) as KeyedRecord[];
    const sources = keyed.flatMap((r) => (r.t === 'e' ? [r.src] : []));
    assert.equal(sources.length, EVENTS, 'events in the keyed topic');
    assert.equal(new Set(sources).size, EVENTS, 'no event twice in the keyed topic');
    const spread = (await readTopicValues(dir.file('threads.db'), 'seq-windows')) as Array<ResultRecord<number[]>>;
    const single = (await readTopicValues(dir.file('single.db'), 'seq-windows')) as Array<ResultRecord<number[]>>;
    const actual = new Map(spread.map((r) => [`${String(r.key)}@${r.start}-${r.end}`, r.value]));
    let lost = 0;
    let duplicated = 0;
    for (const [window, seqs] of expectedWindows(events)) {
      const got = actual.get(window) ?? [];
      lost += seqs.filter((seq) => !got.includes(seq)).length;
      duplicated += got.length - new Set(got).size;
    }
    assert.equal(lost, 0, 'events lost from their windows');
    assert.equal(duplicated, 0, 'events counted twice in a window');
    const byId = (list: Array<ResultRecord<number[]>>): Array<[string, number[]]> => list.map((r): [string, number[]] => [r.id, r.value]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(byId(spread), byId(single), 'the same results, with the same ids, as one runner');

    // Each death was a runner that held tasks (it died handling events); the group saw every join and expiry.
    const groupLog = new SqliteLog({ path: dir.file('threads.db') });
    const group = await new SqliteCheckpointStore({ database: groupLog.database }).load('seq/group');
    await groupLog.close();
    const row = JSON.parse(new TextDecoder().decode(group!.state)) as { members: Record<string, number>; generation: number };
    const members = Object.keys(row.members);
    // A runner that died after its last task ended may still be listed: nothing waited for its lease to lapse.
    assert.ok(members.some((id) => running.runnerIds.slice(-2).includes(id)) && members.every((id) => running.runnerIds.includes(id)), `a live runner is a member at the end, and no stranger (${members.join(', ')})`);
    assert.ok(row.generation >= 5, `members changed ${row.generation} times (5 joins; an expiry may share a commit with one)`);
  });

  it('fails with the reason when a thread cannot load the pipeline', async () => {
    await assert.rejects(startRunnerThreads({
      module: new URL('./stream-thread-pipeline.ts', import.meta.url), stream: 'nope',
      storeModule: new URL('./stream-thread-store.ts', import.meta.url), threads: 1, threadData: { path: dir.file('threads.db') },
    }), { code: 'CONFIG_INVALID', message: /exports no stream pipeline named "nope"/ });
  });
});
