/**
 * Scenario 11 — stream worker SIGKILL, clock skew, late events.
 * Injects: four producers whose clocks are off by seeded amounts within
 * ±5 minutes append readings (deterministic ids) to the embedded log; 1%
 * of the readings are held back until the watermark has passed every
 * window they belong to by more than the allowed lateness
 * (`skewed-stream-pipeline.ts` says why that is exact whatever the
 * timing); the stream worker, a child process, SIGKILLs itself every N
 * events it handles (seeded N) and is restarted from its checkpoints
 * until the bounded run ends.
 * Pass: the results committed to the sink topic (exactly once: the
 * embedded store commits them with the checkpoint) are one per window and
 * key — 0 lost, 0 duplicated, 0 unexpected — and each equals a batch
 * recomputation over the readings that are not late. The callback sink is
 * at least once, so what it *applies* (an idempotent upsert: a window's
 * first delivery) is checked the same way, every delivery carries the
 * right value, and deliveries beyond the first are reported as
 * `redelivered`. The engine's late counter (checkpointed across the kills)
 * and its `<stream>.late` topic hold exactly the held-back readings.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import type { LateRecord, ResultRecord } from '../../src/streams/runtime/records.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';
import { expectedWindows, PRODUCERS, SINK_TOPIC, skewedReadings, SOURCE_TOPIC, STREAM, windowKey, type Reading } from './skewed-stream-pipeline.js';
import { readTopicValues } from './support/sequence-log.js';

const child = new URL('./skewed-stream-child.ts', import.meta.url).pathname;

describe('scenario 11: stream worker SIGKILL, producers with skewed clocks, late events', () => {
  const run = startScenario('11-stream-kill-skew');
  after(() => run.close());

  it('results equal a batch recomputation after repeated kills, and exactly the injected late events are dropped and counted', { timeout: 900_000 }, async () => {
    const count = run.size(10_000, 100_000);
    const { readings, lateIds, skews } = skewedReadings(count, run.random);
    // Each event is handled in two stages (more after a restart), so at least 2·count / N kills: 4–8 (small), 10–20 (large).
    const killEvery = run.between(Math.floor(count / run.size(4, 10)), Math.floor(count / run.size(2, 5)));
    const logPath = run.dir.file('stream.db');
    await writeReadings(logPath, readings);
    run.inject('late-event', lateIds.length);
    run.inject('skewed-producer', skews.filter((skew) => skew !== 0).length);

    // Every other start, a few times, also dies right after a callback delivery, before its commit: the sink's repeats.
    let deliveryKills = run.size(2, 5);
    const outcomes: Array<'killed' | { late: number; updates: number }> = [];
    while (outcomes.length < 100 && (outcomes.length === 0 || outcomes.at(-1) === 'killed')) {
      const killAtDelivery = deliveryKills > 0 && outcomes.length % 2 === 1 ? (deliveryKills--, run.between(1, 3)) : 0;
      outcomes.push(await runWorker(logPath, run.ledgerPath, killEvery, killAtDelivery));
    }
    const final = outcomes.at(-1);
    assert.ok(typeof final === 'object', `the run ended (${outcomes.length} starts)`);
    const kills = run.ledger.entries('kill');
    for (const cause of ['events', 'after-delivery']) run.inject(`sigkill-${cause}`, kills.filter(({ key }) => key === cause).length);
    assert.equal(kills.length, outcomes.length - 1, 'every kill was recorded');

    const expected = expectedWindows(readings, lateIds);
    const committed = (await readTopicValues(logPath, SINK_TOPIC)) as Array<ResultRecord<number[]>>;
    run.ledger.recordAll(committed.map((result) => ({ kind: 'committed', key: windowKey(result), detail: JSON.stringify({ kind: result.kind, value: result.value }) })));
    const check = checkLedger(expected.keys(), run.ledger.keys('committed'));
    const applied = checkLedger(expected.keys(), run.ledger.keys('applied'));
    const delivered = run.ledger.entries('delivered');
    const wrong = (kind: string): string[] => run.ledger.entries(kind).filter(({ key, detail }) => detail !== JSON.stringify({ kind: 'final', value: expected.get(key) })).map(({ key }) => key);
    const lateRecords = (await readTopicValues(logPath, `${STREAM}.late`)) as LateRecord[];
    run.ledger.recordAll(lateRecords.map((late) => ({ kind: 'late-dropped', key: String((late.value as Reading).id) })));
    const late = checkLedger(lateIds.map(String), run.ledger.keys('late-dropped'));
    run.report({
      check, detected: final.late,
      notes: { lateInjected: lateIds.length, lateTopic: lateRecords.length, redelivered: delivered.length - new Set(delivered.map(({ key }) => key)).size, killEvery, skews: skews.join('/') },
    });

    assert.ok((run.faults['sigkill-events'] ?? 0) >= run.size(2, 8), `killed every N events at least ${run.size(2, 8)} times (${run.faults['sigkill-events']})`);
    assert.ok((run.faults['sigkill-after-delivery'] ?? 0) >= 1, 'killed after a delivery at least once');
    assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, `sink topic: lost ${check.lostKeys.join(', ')}; duplicated ${check.duplicatedKeys.join(', ')}; unexpected ${check.unexpectedKeys.join(', ')}`);
    assert.deepEqual(wrong('committed'), [], 'committed results that differ from the batch recomputation (or are not final)');
    assert.deepEqual(counts(applied), { lost: 0, duplicated: 0, unexpected: 0 }, `callback sink: lost ${applied.lostKeys.join(', ')}; unexpected ${applied.unexpectedKeys.join(', ')}`);
    assert.deepEqual(wrong('delivered'), [], 'callback deliveries that differ from the batch recomputation');
    assert.equal(final.updates, 0, 'no on-time reading needed the allowed lateness');
    assert.equal(final.late, lateIds.length, "the engine's late counter equals the injected count");
    assert.deepEqual(counts(late), { lost: 0, duplicated: 0, unexpected: 0 }, `late topic: missing ${late.lostKeys.join(', ')}; twice ${late.duplicatedKeys.join(', ')}; not injected ${late.unexpectedKeys.join(', ')}`);
    assert.ok(PRODUCERS >= 2 && Math.max(...skews) - Math.min(...skews) > 0, 'the producers disagree about the time');
  });
});

/** The producers' readings, appended to one partition of `readings` in the generated order. */
async function writeReadings(path: string, readings: readonly Reading[]): Promise<void> {
  const log = new SqliteLog({ path });
  await log.createTopic(SOURCE_TOPIC, { partitions: 1 });
  for (let i = 0; i < readings.length; i += 1000) await log.append(SOURCE_TOPIC, readings.slice(i, i + 1000).map((value) => ({ value, partition: 0 })));
  await log.close();
}

/** One start of the worker: `'killed'`, or the engine's counters when the run ended. */
function runWorker(logPath: string, ledgerPath: string, killAfter: number, killAtDelivery: number): Promise<'killed' | { late: number; updates: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, logPath, ledgerPath, String(killAfter), String(killAtDelivery)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('exit', (code, signal) => {
      const done = /^done (.+)$/m.exec(stdout)?.[1];
      if (done !== undefined) resolve(JSON.parse(done) as { late: number; updates: number });
      else if (signal === 'SIGKILL') resolve('killed');
      else reject(new Error(`stream worker exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
