/**
 * Scenario 5 — process crash during embedded writes, repeated.
 * Injects: a process appending to the embedded event store and log (one
 * append after another, each acknowledged on stdout once it resolved) is
 * SIGKILLed at seeded moments, mid-write, and restarted over the same files.
 * Pass: every restart succeeds (the stores open and report where they
 * are); every acknowledged event and record is in the stores after the
 * last crash (0 lost) and none is stored twice (0 duplicated). Writes that
 * were durable but not yet acknowledged when the process died may be there
 * too (reported as `unacknowledged`), as the contract allows.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteEventStore } from '../../src/adapters/embedded/sqlite-event-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { checkLedger } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';

const childScript = new URL('./embedded-writer-child.ts', import.meta.url).pathname;

describe('scenario 5: process crash during embedded writes', () => {
  const run = startScenario('05-crash-embedded-writes');
  after(() => run.close());

  it('keeps every acknowledged write and always restarts', { timeout: 600_000 }, async () => {
    const crashes = run.size(5, 25);
    const dataDir = run.dir.file('data');
    let restarts = 0;
    for (let crash = 0; crash < crashes; crash++) {
      const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let ready = false;
      const acked: string[] = [];
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('ready')) ready = true;
        else if (line.startsWith('ack ')) acked.push(line.slice(4));
      });
      while (!ready) {
        if (child.exitCode !== null) assert.fail(`restart ${crash} failed: the writer exited with ${child.exitCode}`);
        await sleep(10);
      }
      if (crash > 0) restarts++;
      await sleep(run.between(100, 700));
      child.kill('SIGKILL');
      await exited;
      run.inject('sigkill-writer');
      // Acknowledgements read before the kill landed; any read after it were acknowledged too.
      run.ledger.recordAll(acked.map((key) => ({ kind: 'acknowledged', key })));
    }

    const events = new SqliteEventStore({ path: `${dataDir}/events.db` });
    const log = new SqliteLog({ path: `${dataDir}/streams.db` });
    try {
      const stored = (await events.read('writes', { limit: 1_000_000 })).map((e) => e.id);
      const records = (await log.read('writes', 0, 0, { limit: 1_000_000 })).map((r) => r.key!);
      const acknowledged = run.ledger.keys('acknowledged');
      const check = checkLedger(acknowledged, [...stored, ...records]);
      const present = new Set([...stored, ...records]);
      const unacknowledged = [...present].filter((key) => !new Set(acknowledged).has(key)).length;
      run.report({ check: { ...check, unexpected: 0 }, notes: { restarts, acknowledged: acknowledged.length, unacknowledged } });

      assert.equal(restarts, crashes - 1, 'every restart succeeded');
      assert.equal(check.lost, 0, `acknowledged writes lost: ${check.lostKeys.join(', ')}`);
      assert.equal(check.duplicated, 0, `writes stored twice: ${check.duplicatedKeys.join(', ')}`);
      assert.equal(new Set(stored).size, stored.length, 'no event stored twice');
      assert.ok(acknowledged.length > crashes, 'writes were acknowledged between the crashes');
      assert.ok(unacknowledged <= 2 * crashes, 'at most the write in flight at each crash is there unacknowledged');
    } finally {
      await events.close();
      await log.close();
    }
  });
});
