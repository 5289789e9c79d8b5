/** The harness checks itself: a checker that cannot see a loss or a duplicate proves nothing. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createTempDir } from '../../helpers/temp-dir.js';
import { checkLedger, counts } from './checker.js';
import { Ledger } from './ledger.js';

describe('fault harness checker', () => {
  it('reports nothing wrong when each expected key was applied once', () => {
    const check = checkLedger(['a', 'b', 'c'], ['c', 'a', 'b']);
    assert.deepEqual(counts(check), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.equal(check.expected, 3);
  });

  it('reports a lost key, a duplicated one (per extra application) and an unexpected one', () => {
    const check = checkLedger(['a', 'b', 'c', 'd'], ['a', 'b', 'b', 'b', 'd', 'x']);
    assert.deepEqual(counts(check), { lost: 1, duplicated: 2, unexpected: 1 });
    assert.deepEqual(check.lostKeys, ['c']);
    assert.deepEqual(check.duplicatedKeys, ['b']);
    assert.deepEqual(check.unexpectedKeys, ['x']);
  });
});

describe('fault harness ledger', () => {
  it('keeps every application, duplicates included, across connections and a SIGKILLed writer', () => {
    const dir = createTempDir('millrace-ledger-');
    try {
      const path = dir.file('ledger.db');
      const ledger = new Ledger(path);
      ledger.record('applied', 'a');
      // Another process records, then kills itself without closing anything.
      const script = `import { Ledger } from ${JSON.stringify(new URL('./ledger.ts', import.meta.url).href)};
        const l = new Ledger(${JSON.stringify(path)}); l.record('applied', 'b'); l.record('applied', 'a'); process.kill(process.pid, 'SIGKILL');`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(child.signal, 'SIGKILL', child.stderr);
      assert.deepEqual(ledger.keys('applied'), ['a', 'b', 'a']);
      assert.deepEqual(counts(checkLedger(['a', 'b'], ledger.keys('applied'))), { lost: 0, duplicated: 1, unexpected: 0 });
      ledger.close();
    } finally {
      dir.remove();
    }
  });
});
