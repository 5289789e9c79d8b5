/**
 * Scenario 7 — crash between blob upload and publish; orphan collection.
 * Injects: an embedded engine process running a fan-out whose process
 * input, task inputs and task outputs all travel by claim check is
 * SIGKILLed at seeded moments and restarted over the same data directory:
 * right after a claim upload and before the event carrying its ticket
 * (`after-put`), at an append of task outputs that worker threads already
 * uploaded (`before-append`), and at a seeded time (`timer`).
 * Pass: every ticket and ref in the stored events resolves to its blob
 * (0 dangling); the process completes with each effect applied once (0 lost,
 * 0 duplicated); the orphans the crashes left (uploads nothing refers to)
 * are kept while younger than the TTL, and all of them, and only them,
 * are collected once the collector's clock is past it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { BlobCollector, DEFAULT_BLOB_TTL_MS } from '../../src/jobs/blob-collector.js';
import { refsIn } from '../../src/jobs/blob-references.js';
import type { BlobStore } from '../../src/ports/blob-store.js';
import type { EventStore } from '../../src/ports/event-store.js';
import { checkLedger, counts } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';

const childScript = new URL('./upload-crash-child.ts', import.meta.url).pathname;
const tasksModule = new URL('./scenario-tasks.ts', import.meta.url).href;

type Plan = { point: 'after-put' | 'before-append'; nth: number } | { point: 'timer'; ms: number } | { point: 'none' };
interface Outcome { crash?: { point: string; keys: string[] }; finished?: { status: string; output: string[] }; killed: boolean }

/** Runs one incarnation of the engine until it crashes itself, is killed on time, or finishes. */
async function runEngine(args: string[], plan: Plan): Promise<Outcome> {
  const extra = plan.point === 'after-put' || plan.point === 'before-append' ? [plan.point, String(plan.nth)] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, ...args, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const outcome: Outcome = { killed: false };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, point = '', rest = ''] = line.split(' ');
    if (word === 'crash') outcome.crash = { point, keys: JSON.parse(rest) as string[] };
    if (word === 'finished') outcome.finished = JSON.parse(line.slice('finished '.length)) as Outcome['finished'];
    if (word === 'ready' && plan.point === 'timer') {
      void sleep(plan.ms).then(() => {
        if (child.exitCode === null && child.signalCode === null && outcome.finished === undefined) {
          outcome.killed = true;
          child.kill('SIGKILL');
        }
      });
    }
  });
  await exited;
  return outcome;
}

/** Every ref in every stored event, checked against the store: the ones missing or different. */
async function danglingRefs(events: EventStore, blobs: BlobStore): Promise<{ referenced: Set<string>; dangling: string[] }> {
  const referenced = new Set<string>();
  const dangling: string[] = [];
  for (const event of await events.readAll({ limit: 1_000_000 })) {
    for (const ref of refsIn(event.data)) {
      referenced.add(ref.key);
      const stored = await blobs.head(ref.key);
      if (stored?.sha256 !== ref.sha256 || stored.size !== ref.size) dangling.push(`${event.streamId}@${event.version} ${event.type}: ${ref.key}`);
    }
  }
  return { referenced, dangling };
}

async function claimKeys(blobs: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const ref of blobs.list('claims/')) keys.push(ref.key);
  return keys;
}

describe('scenario 7: crash between blob upload and publish', () => {
  const run = startScenario('07-upload-crash');
  after(() => run.close());

  it('leaves no ticket without its blob, completes once, and collects exactly the orphans after the TTL', { timeout: 600_000 }, async () => {
    const n = run.size(60, 400);
    const crashes = run.size(5, 10);
    const dataDir = run.dir.file('data');
    const input = { n, ledger: run.ledgerPath, padding: 'c'.repeat(1500), delayMs: 40 };
    const args = [dataDir, tasksModule, 'fault-claims', JSON.stringify(input)];
    // The first crash lands among the uploads of the first decision (the process input and n task inputs);
    // then outputs and timed kills alternate, so each kind is hit at every scale.
    const plans: Plan[] = [{ point: 'after-put', nth: run.between(1, n + 1) }];
    for (let k = 1; k < crashes; k++) plans.push(k % 2 === 1 ? { point: 'before-append', nth: run.between(1, 3) } : { point: 'timer', ms: run.between(20, 250) });
    const cutOff: string[] = [];
    let finished: Outcome['finished'];
    for (const plan of plans) {
      const outcome = await runEngine(args, plan);
      if (outcome.crash !== undefined) {
        run.inject(`sigkill-${outcome.crash.point}`);
        if (outcome.crash.point === 'before-append') cutOff.push(...outcome.crash.keys);
      }
      if (outcome.killed) run.inject('sigkill-timer');
      finished = outcome.finished;
      if (finished !== undefined) break;
    }
    finished ??= (await runEngine(args, { point: 'none' })).finished;
    assert.equal(finished?.status, 'completed', JSON.stringify(finished));

    const events = new SqliteEventStore({ path: `${dataDir}/events.db` });
    const blobs = new FileBlobStore({ root: `${dataDir}/blobs` });
    try {
      const { referenced, dangling } = await danglingRefs(events, blobs);
      const orphans = (await claimKeys(blobs)).filter((key) => !referenced.has(key)).sort();
      // Uploads whose results a crash cut off were stored by no event; each task ran again and stored another.
      for (const key of cutOff) assert.ok(orphans.includes(key), `${key}, cut off by a crash, is an orphan`);

      const collectorAt = (now: number): BlobCollector => new BlobCollector({ events, blobs, clock: new ManualClock(now), logger: silentLogger });
      const early = await collectorAt(Date.now()).collect();
      const dry = await collectorAt(Date.now() + DEFAULT_BLOB_TTL_MS + 60_000).collect({ dryRun: true });
      const late = await collectorAt(Date.now() + DEFAULT_BLOB_TTL_MS + 60_000).collect();
      const collected = late.removed.map((b) => b.key).sort();
      const after = await danglingRefs(events, blobs);
      const left = await claimKeys(blobs);

      run.ledger.recordAll((finished?.output ?? []).map((key) => ({ kind: 'applied', key })));
      const expected = Array.from({ length: n }, (_, i) => `effect-${i}`);
      const check = checkLedger(expected, run.ledger.keys('applied'));
      const executed = checkLedger(expected, run.ledger.keys('executed'));
      run.report({
        check,
        notes: {
          dangling: dangling.length + after.dangling.length, orphansCreated: orphans.length, orphansCollected: collected.length,
          collectedBeforeTtl: early.removed.length, referencedKept: referenced.size, cutOffUploads: cutOff.length, reexecuted: executed.duplicated,
        },
      });

      assert.deepEqual(dangling, [], 'every ticket resolves to its blob');
      assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 }, JSON.stringify(check));
      assert.ok(cutOff.length > 0 && orphans.length > 0, 'a crash cut off uploaded outputs');
      assert.deepEqual(early.removed, [], 'younger than the TTL, nothing is collected');
      assert.deepEqual(dry.removed.map((b) => b.key).sort(), orphans, 'a dry run names the orphans');
      assert.deepEqual(collected, orphans, 'past the TTL every orphan is collected, and nothing else');
      assert.deepEqual(after.dangling, [], 'every referenced blob stays');
      assert.deepEqual(left.filter((key) => !referenced.has(key)), []);
    } finally {
      await blobs.close();
      await events.close();
    }
  });
});
