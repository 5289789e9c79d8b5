/** Session windows in the runtime: results equal a batch recomputation, and survive repeated crashes (their sessions are checkpointed). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Aggregate } from '../../../../src/streams/aggregates/aggregate.js';
import { count } from '../../../../src/streams/aggregates/numeric-aggregates.js';
import { eventTime } from '../../../../src/streams/time/time-assigner.js';
import { session } from '../../../../src/streams/windows/window-spec.js';
import { stream, type PipelineDefinition } from '../../../../src/streams/runtime/pipeline.js';
import type { ResultRecord } from '../../../../src/streams/runtime/records.js';
import { startPipeline } from '../../../../src/streams/runtime/run-pipeline.js';
import { topicSink } from '../../../../src/streams/runtime/sinks.js';
import type { StreamStore } from '../../../../src/streams/runtime/stream-store.js';
import { appendAll, openTestStore, readAll, wholeTopic, type TestStore } from './support.js';

interface Visit { user: string; seq: number; at: number }

const GAP = 500;

const seqs: Aggregate<number, number[], number[]> = {
  name: 'seqs', init: () => [], add: (acc, seq) => (acc.push(seq), acc), merge: (a, b) => (a.push(...b), a), result: (acc) => [...acc].sort((x, y) => x - y),
};

function definition(): PipelineDefinition<number[]> {
  return stream<Visit>('visits', { topic: 'visits' })
    .keyBy((visit) => visit.user, { time: eventTime<Visit>('at'), maxOutOfOrderMs: 400, partitions: 2 })
    .window(session({ gap: GAP }))
    .aggregate(seqs, (visit) => visit.seq)
    .to(topicSink('sessions'));
}

/** Bursts of visits per user with pauses, sent up to 300 ms out of order (within maxOutOfOrderMs). */
function visits(n: number): Visit[] {
  const out: Visit[] = [];
  let at = 0;
  for (let seq = 0; seq < n; seq++) {
    at += seq % 23 === 0 ? 700 : 40 + ((seq * 37) % 90);
    out.push({ user: `u${(seq * 7) % 5}`, seq, at });
  }
  // Disorder: swap neighbours a few hundred ms apart at most.
  for (let i = 0; i + 3 < out.length; i += 4) [out[i], out[i + 3]] = [out[i + 3]!, out[i]!];
  return out;
}

/** Per user, runs of visits less than GAP apart: `[first, last + GAP)` → the seqs in it. */
function expectedSessions(all: readonly Visit[]): Map<string, number[]> {
  const byUser = new Map<string, Visit[]>();
  for (const visit of all) byUser.set(visit.user, [...(byUser.get(visit.user) ?? []), visit]);
  const sessions = new Map<string, number[]>();
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.at - b.at);
    let start = list[0]!.at;
    let end = start + GAP;
    let members: number[] = [];
    const flush = (): void => void sessions.set(`${user}@${start}-${end}`, [...members].sort((a, b) => a - b));
    for (const visit of list) {
      if (visit.at >= end) {
        flush();
        start = visit.at;
        members = [];
      }
      members.push(visit.seq);
      end = visit.at + GAP;
    }
    flush();
  }
  return sessions;
}

/** Every `every`-th window commit fails (nothing written): a crash at that point. */
function crashing(store: StreamStore, every: number): StreamStore & { crashes: number } {
  let commits = 0;
  const wrapped = {
    ...store,
    crashes: 0,
    commit: async (commit: Parameters<StreamStore['commit']>[0]) => {
      if (commit.checkpointId.includes('/window/') && ++commits % every === 0) {
        wrapped.crashes++;
        throw new Error('crash');
      }
      return store.commit(commit);
    },
  };
  return wrapped;
}

describe('session windows in the runtime', () => {
  let t: TestStore;
  const all = visits(3_000);
  before(async () => {
    t = openTestStore();
    await t.log.createTopic('visits', { partitions: 3 });
    await appendAll(t.log, 'visits', all.map((value, i) => ({ value, partition: i % 3 })));
  });
  after(() => t.close());

  it('emits each user\'s sessions as a batch recomputation finds them, restarting from checkpoints after each of many crashes', async () => {
    const ranges = await wholeTopic(t.log, 'visits');
    const store = crashing(t.store, 9);
    for (let run = 0; run < 200; run++) {
      const running = await startPipeline(definition(), { store, ranges, batchSize: 40 });
      try {
        await running.done;
        break;
      } catch {
        await running.stop();
      }
    }
    process.stdout.write(`# session pipeline: crashes=${store.crashes}\n`);
    assert.ok(store.crashes >= 5, `crashed ${store.crashes} times`);
    const results = (await readAll(t.log, 'sessions')).map((r) => r.value as ResultRecord<number[]>);
    assert.equal(new Set(results.map((r) => r.id)).size, results.length, 'no result twice');
    assert.ok(results.every((r) => r.kind === 'final'));
    const expected = expectedSessions(all);
    assert.ok(expected.size > 100, `${expected.size} sessions`);
    const actual = new Map(results.map((r) => [`${String(r.key)}@${r.start}-${r.end}`, r.value]));
    let lost = 0;
    let duplicated = 0;
    for (const [id, members] of expected) {
      const got = actual.get(id) ?? [];
      lost += members.filter((seq) => !got.includes(seq)).length;
      duplicated += got.length - new Set(got).size;
    }
    assert.equal(lost, 0);
    assert.equal(duplicated, 0);
    assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()));
    assert.equal((await readAll(t.log, 'visits.late')).length, 0);
  });

  it('refuses map-side combine with session windows', () => {
    assert.throws(() => stream<Visit>('s', { topic: 'visits' }).keyBy((v) => v.user, { combine: { maxBacklog: 10 } }).window(session({ gap: 10 })).aggregate(count).to(topicSink('x')), {
      code: 'CONFIG_INVALID', message: /session windows have none/,
    });
  });
});
