import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MillraceError } from '../../../../src/core/errors.js';
import { count } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { sliding } from '../../../../src/streams/windows/window-spec.js';
import { stream } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../../../src/streams/runtime/records.js';
import { parseReplayBound, replayPipeline } from '../../../../src/streams/runtime/replay.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { topicSink } from '../../../../src/streams/runtime/sinks.js';
import { appendAll, openTestStore, readAll, type TestStore } from './support.js';

interface View { user: string; at: number }

const views = stream<View>('views', { topic: 'page-views' })
  .keyBy((view) => view.user, { time: eventTime<View>('at'), maxOutOfOrderMs: 400, partitions: 3 })
  .window(sliding({ range: 3_000, slide: 1_000 }))
  .aggregate(count)
  .to(topicSink('views-per-user'));

async function results(t: TestStore, topic: string): Promise<Map<string, ResultRecord<number>>> {
  return new Map((await readAll(t.log, topic)).map((record) => {
    const result = record.value as ResultRecord<number>;
    return [result.id, result];
  }));
}

describe('replay (Kappa): the same pipeline over history', () => {
  let t: TestStore;
  before(async () => {
    t = openTestStore();
    await t.log.createTopic('page-views', { partitions: 2 });
    const records = Array.from({ length: 4_000 }, (_, i) => ({ value: { user: `u${(i * 31) % 17}`, at: 5 * i + ((i * 37) % 300) }, partition: i % 2 }));
    await appendAll(t.log, 'page-views', records);
  });
  after(() => t.close());

  it('gives the live run\'s results, and the windows the live watermark had not reached yet', async () => {
    const live = await startPipeline(views, { store: t.store, batchSize: 300, pollIntervalMs: 2 });
    for (let metrics = await live.metrics(); metrics.lag > 0; metrics = await live.metrics()) await new Promise((r) => setTimeout(r, 10));
    const watermark = Math.min(...(await live.metrics()).windows.map((w) => w.watermark));
    await live.stop();
    const liveResults = await results(t, 'views-per-user');
    assert.ok(liveResults.size > 250, `the live run emitted results (${liveResults.size})`);

    const replay = await replayPipeline(views, { store: t.store, label: 'all', batchSize: 500 });
    await replay.done;
    assert.equal(replay.outputs.get('views-per-user'), 'views-per-user.replay.all');
    const replayed = await results(t, 'views-per-user.replay.all');
    for (const [id, result] of liveResults) assert.deepEqual(replayed.get(id), result, `replay of ${id}`);
    for (const [id, result] of replayed) if (!liveResults.has(id)) assert.ok(result.end > watermark, `${id} is only in the replay because the live watermark (${watermark}) had not passed it`);
  });

  it('replays an offset range and a time range into separate outputs', async () => {
    const byOffset = await replayPipeline(views, { store: t.store, from: { offset: 0 }, to: { offset: 500 }, label: 'first-500' });
    await byOffset.done;
    const counted = [...(await results(t, 'views-per-user.replay.first-500')).values()];
    // Each event lies in 3 ranges (3 s sliding by 1 s): 2 partitions × 500 records.
    assert.equal(counted.reduce((n, r) => n + r.value, 0), 3 * 1_000);

    const byTime = await replayPipeline(views, { store: t.store, from: { time: 2_000 }, to: { time: 5_000 }, label: 'seconds-2-5' });
    await byTime.done;
    const inTime = [...(await results(t, 'views-per-user.replay.seconds-2-5')).values()];
    const metrics = await byTime.metrics();
    const inside = metrics.mappers.reduce((n, m) => n + m.elements, 0);
    assert.ok(inside > 0 && metrics.mappers.reduce((n, m) => n + m.outOfRange, 0) === 4_000 - inside);
    assert.equal(inTime.reduce((n, r) => n + r.value, 0), 3 * inside);
    assert.ok(inTime.every((r) => r.end > 2_000 && r.start < 5_000));
  });

  it('parses command-line bounds', () => {
    assert.deepEqual(parseReplayBound('120'), { offset: 120 });
    assert.deepEqual(parseReplayBound('2024-03-01T00:00:00Z'), { time: Date.UTC(2024, 2, 1) });
    assert.deepEqual(parseReplayBound('time:5000'), { time: 5000 });
    assert.throws(() => parseReplayBound('yesterday'), (e: MillraceError) => e.code === 'CONFIG_INVALID');
  });
});
