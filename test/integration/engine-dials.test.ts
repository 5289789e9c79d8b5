/**
 * Live dials of the engine: worker concurrency changed three times while
 * tasks flow, every task run once; scaler bounds and routes applied; each
 * change recorded with who, when, from and to.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { changeDial, checkDial, readDialChanges } from '../../src/runtime/engine-dials.js';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const tasks = new URL('../fixtures/tasks.ts', import.meta.url);

async function until(what: string, check: () => boolean): Promise<void> {
  for (const started = Date.now(); !check(); await sleep(20)) if (Date.now() - started > 30_000) throw new Error(`timed out waiting until ${what}`);
}

describe('engine dials', () => {
  let dir: TempDir;
  let millrace: Millrace;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 2, logLevel: 'silent' });
  });
  after(async () => {
    await millrace.close();
    dir.remove();
  });

  it('changes worker concurrency while tasks flow: every task runs once', async () => {
    const worker = await millrace.startWorker({ tasks, concurrency: 8, autoscale: { min: 2, max: 2, sampleMs: 60_000 } });
    const batch = millrace.runTasks<{ ms: number }, number>('spin', Array.from({ length: 600 }, () => ({ ms: 2 })));
    const seen: number[] = [];
    for (const concurrency of [32, 2, 16]) {
      await changeDial(millrace.log, 'workers.concurrency', concurrency, 'test', Date.now());
      await until(`concurrency ${concurrency}`, () => worker.concurrency === concurrency);
      seen.push(worker.concurrency);
      await sleep(50);
    }
    await changeDial(millrace.log, 'scaler.max', 3, 'test', Date.now());
    await until('scaler bound applied', () => worker.scaler!.status().policy.max === 3);
    const report = await batch;
    assert.deepEqual(seen, [32, 2, 16]);
    assert.equal(report.failed, 0);
    assert.equal(report.duplicatesDropped, 0, 'no task ran twice');
    assert.equal(report.outputs.filter((o) => o !== undefined).length, 600, 'every task ran');
    await worker.stop();
  });

  it('records who changed what, from what to what, and refuses a bad value', async () => {
    const changes = await readDialChanges(millrace.log);
    const concurrency = changes.filter((c) => c.dial === 'workers.concurrency').map((c) => [c.from, c.to, c.by]);
    assert.deepEqual(concurrency, [[null, 32, 'test'], [32, 2, 'test'], [2, 16, 'test']]);
    assert.ok(changes.every((c) => Number.isFinite(c.at)));
    assert.throws(() => checkDial('workers.concurrency', 0), { code: 'CONFIG_INVALID', message: /workers.concurrency must be an integer from 1 to 100000/ });
    assert.throws(() => checkDial('speed', 1), { code: 'CONFIG_INVALID', message: /unknown dial "speed" \(known: workers.concurrency, scaler.min, scaler.max, routes\)/ });
    await assert.rejects(changeDial(millrace.log, 'routes', [{ task: 'x', tag: 'no good', share: 0.1 }], 'test', 0), { code: 'CONFIG_INVALID' });
  });
});
