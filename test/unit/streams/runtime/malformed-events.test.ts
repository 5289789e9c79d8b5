/**
 * Events read from the log are untrusted (HTTP ingest takes any JSON): a
 * value of the wrong shape goes to `<stream>.dead-letters` with a reason
 * naming the problem, and the rest of the stream is counted as if it were
 * not there.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { tumbling } from '../../../../src/streams/windows/window-spec.js';
import { stream } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord, StreamDeadLetter } from '../../../../src/streams/runtime/records.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { topicSink } from '../../../../src/streams/runtime/sinks.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

interface Click { user: string; at: number }

describe('stream runtime: malformed events', () => {
  let t: TestStore;
  before(() => (t = openTestStore()));
  after(() => t.close());

  it('dead-letters each malformed event with a reason and counts the rest', async () => {
    const malformed: Array<{ value: unknown; reason: StreamDeadLetter['reason']; message: RegExp }> = [
      { value: null, reason: 'invalid-time', message: /time must be a finite number of milliseconds, got undefined in field "at"/ },
      { value: 42, reason: 'invalid-time', message: /got undefined in field "at"/ },
      { value: 'a click', reason: 'invalid-time', message: /got undefined in field "at"/ },
      { value: [1, 2], reason: 'invalid-key', message: /key must be a string or a finite number, got undefined/ },
      { value: {}, reason: 'invalid-key', message: /got undefined/ },
      { value: { user: 'u1' }, reason: 'invalid-time', message: /got undefined in field "at"/ },
      { value: { user: 'u1', at: 'yesterday' }, reason: 'invalid-time', message: /finite number of milliseconds, got "yesterday" in field "at"/ },
      { value: { user: 'u1', at: null }, reason: 'invalid-time', message: /got null in field "at"/ },
      { value: { user: 'u1', at: [5] }, reason: 'invalid-time', message: /got an object in field "at"/ },
      { value: { user: { name: 'u1' }, at: 5 }, reason: 'invalid-key', message: /key must be a string or a finite number/ },
      { value: { user: true, at: 5 }, reason: 'invalid-key', message: /key must be a string or a finite number, got true/ },
    ];
    const valid: Click[] = Array.from({ length: 50 }, (_, i) => ({ user: `u${i % 3}`, at: 1_000 * i }));
    await t.log.createTopic('clicks', { partitions: 1 });
    await appendAll(t.log, 'clicks', [...valid.slice(0, 25), ...malformed.map((m) => m.value), ...valid.slice(25)].map((value) => ({ value })));

    // A key function as users write it, that does not expect anything but a click.
    const definition = stream<Click>('clicks-per-user', { topic: 'clicks' })
      .keyBy((click) => (typeof click === 'object' && click !== null ? click.user : 'none'), { time: eventTime<Click>('at'), partitions: 1 })
      .window(tumbling({ size: 10_000 }))
      .aggregate(count)
      .to(topicSink('clicks-per-user-out'));
    const running = await startPipeline(definition, { store: t.store, ranges: await wholeTopic(t.log, 'clicks') });
    await running.done;

    const dead = (await readAll(t.log, 'clicks-per-user.dead-letters')).map((record) => record.value as StreamDeadLetter);
    assert.equal(dead.length, malformed.length);
    malformed.forEach((expected, k) => {
      const letter = dead[k]!;
      assert.equal(letter.reason, expected.reason, `${JSON.stringify(expected.value)}: ${letter.message}`);
      assert.match(letter.message, expected.message, JSON.stringify(expected.value));
      assert.deepEqual(letter.value, expected.value);
    });
    const results = (await readAll(t.log, 'clicks-per-user-out')).map((record) => record.value as ResultRecord<number>);
    assert.equal(results.reduce((n, r) => n + r.value, 0), valid.length, 'every valid click is counted once');
  });
});
