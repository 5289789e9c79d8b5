/**
 * Scenario 6 — corrupt data at rest.
 * Injects, at seeded places: in the embedded log, a record whose value has
 * one bit flipped and a record torn (its value cut short); in the file blob
 * store, a blob with one content bit flipped, a blob truncated, and a blob
 * whose header is altered. (Corruption is written into the stored rows and
 * files directly, as failing storage would; damage to SQLite's own pages is
 * SQLite's to detect and is not injected here.)
 * Pass: every corruption is detected, every time, with an explicit error
 * naming the problem (`LOG_RECORD_CORRUPT` with topic, partition and
 * offset; `BLOB_HASH_MISMATCH` / `STORAGE_CORRUPT`); records and blobs that
 * are intact still read back; nothing corrupt is ever returned.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hasCode } from '../../src/core/errors.js';
import { FileBlobStore } from '../../src/adapters/embedded/file-blob-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import type { BlobRef } from '../../src/ports/blob-store.js';
import { checkLedger } from './harness/checker.js';
import { startScenario } from './harness/scenario.js';

describe('scenario 6: torn and bit-flipped records and blobs', () => {
  const run = startScenario('06-corruption');
  after(() => run.close());

  it('detects every corruption with an explicit error and never returns corrupt data', { timeout: 300_000 }, async () => {
    const records = run.size(200, 2_000);
    const rounds = run.size(3, 20);
    let detected = 0;
    const corruptKeys: string[] = [];
    for (let round = 0; round < rounds; round++) {
      // The log: a topic of one partition, two records damaged.
      const path = run.dir.file(`log-${round}.db`);
      const log = new SqliteLog({ path });
      await log.createTopic('t', { partitions: 1 });
      await log.append('t', Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: `record ${i} of round ${round}` })));
      await log.close();
      const flipped = run.between(0, records - 1);
      let torn = run.between(0, records - 1);
      if (torn === flipped) torn = (torn + 1) % records;
      const db = new Database(path);
      const value = (offset: number): Buffer => (db.prepare('SELECT value FROM millrace_log_records WHERE record_offset = ?').get(offset) as { value: Buffer }).value;
      const flippedValue = Buffer.from(value(flipped));
      flippedValue[run.between(0, flippedValue.length - 1)]! ^= 1 << run.between(0, 7);
      db.prepare('UPDATE millrace_log_records SET value = ? WHERE record_offset = ?').run(flippedValue, flipped);
      db.prepare('UPDATE millrace_log_records SET value = ? WHERE record_offset = ?').run(value(torn).subarray(0, run.between(0, value(torn).length - 1)), torn);
      db.close();
      run.inject('log-bit-flip');
      run.inject('log-torn-record');

      const reopened = new SqliteLog({ path });
      try {
        for (const bad of [flipped, torn]) {
          corruptKeys.push(`log/${round}/${bad}`);
          await assert.rejects(reopened.read('t', 0, bad, { limit: 1 }), (error: unknown) => {
            assert.ok(hasCode(error, 'LOG_RECORD_CORRUPT'), String(error));
            assert.equal((error as { details: { offset: number } }).details.offset, bad, 'the error names the offset');
            return true;
          }, `a read of corrupt log record ${bad} fails`);
          detected++;
          // Reading across it fails too: the records before it are not handed out with it silently.
          await assert.rejects(reopened.read('t', 0, 0, { limit: records }), (error: unknown) => hasCode(error, 'LOG_RECORD_CORRUPT'), 'a read across a corrupt record fails');
        }
        const intact = [...Array(records).keys()].find((i) => i !== flipped && i !== torn)!;
        const [record] = await reopened.read('t', 0, intact, { limit: 1 });
        assert.equal(record!.value, `record ${intact} of round ${round}`);
      } finally {
        await reopened.close();
      }

      // Blobs: one bit flipped in the content, one truncated, one header altered.
      const blobs = new FileBlobStore({ root: run.dir.file(`blobs-${round}`) });
      try {
        const refs: BlobRef[] = [];
        for (let i = 0; i < 4; i++) refs.push(await blobs.put(`b/${i}`, original(i, round)));
        const file = (key: string): string => findBlobFile(run.dir.file(`blobs-${round}`), key);
        flipBit(file('b/0'), 64 + run.between(0, 4_095), run.between(0, 7));
        truncateSync(file('b/1'), 64 + run.between(0, 4_095));
        flipBit(file('b/2'), run.between(8, 47), run.between(0, 7));
        run.inject('blob-bit-flip');
        run.inject('blob-truncated');
        run.inject('blob-header-altered');
        for (const ref of refs.slice(0, 2)) {
          corruptKeys.push(`blob/${round}/${ref.key}`);
          await assert.rejects(blobs.get(ref), (error: unknown) => {
            assert.ok(hasCode(error, 'BLOB_HASH_MISMATCH'), `${ref.key}: ${String(error)}`);
            assert.match((error as Error).message, new RegExp(ref.key.replace('/', '\\/')), 'the error names the blob');
            return true;
          }, `a read of corrupt blob ${ref.key} fails`);
          detected++;
        }
        // A damaged header: the store's own view of the blob (head, list) fails; a read by a ref the caller
        // holds checks the content against that ref, so it returns the true bytes or fails — never others.
        corruptKeys.push(`blob/${round}/b/2`);
        await assert.rejects(blobs.head('b/2'), (error: unknown) => hasCode(error, 'STORAGE_CORRUPT') && /b\/2/.test((error as Error).message), 'a damaged blob header is reported');
        detected++;
        const read = await blobs.get(refs[2]!).catch((error: unknown) => error);
        if (read instanceof Uint8Array) assert.ok(Buffer.from(read).equals(original(2, round)), 'the true bytes');
        else assert.ok(hasCode(read, 'BLOB_HASH_MISMATCH') || hasCode(read, 'STORAGE_CORRUPT'), String(read));
        await assert.rejects(blobs.getRange(refs[1]!, 0, 16), (error: unknown) => hasCode(error, 'BLOB_HASH_MISMATCH') || hasCode(error, 'STORAGE_CORRUPT') || hasCode(error, 'BLOB_RANGE_INVALID'), 'a ranged read of a truncated blob fails');
        assert.equal((await blobs.get(refs[3]!)).length, 4_096, 'an intact blob still reads');
      } finally {
        await blobs.close();
      }
    }
    // The ledger here holds what was detected: each corruption must be, once.
    run.ledger.recordAll(corruptKeys.map((key) => ({ kind: 'detected', key })));
    const check = checkLedger(corruptKeys, run.ledger.keys('detected'));
    run.report({ check, detected });
    assert.equal(detected, rounds * 5, 'every injected corruption detected');
  });
});

function original(i: number, round: number): Uint8Array {
  return new Uint8Array(4_096).map((_, j) => (j * 31 + i + round) & 0xff);
}

function flipBit(path: string, position: number, bit: number): void {
  const fd = openSync(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, position);
    byte[0]! ^= 1 << bit;
    writeSync(fd, byte, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

/** The file of `key` (segments in `.d` directories, the last one a `.blob` file; see blob-file-format). */
function findBlobFile(root: string, key: string): string {
  const segments = key.split('/');
  const path = join(root, 'blobs', ...segments.slice(0, -1).map((s) => `${s}.d`), `${segments.at(-1)}.blob`);
  if (!statSync(path).isFile()) throw new Error(`no blob file for ${key} in ${readdirSync(root).join(', ')}`);
  return path;
}
