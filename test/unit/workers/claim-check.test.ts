import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkIn, isClaimTicket } from '../../../src/workers/claim-check.js';
import type { BlobStore } from '../../../src/ports/blob-store.js';

/** A blob store that keeps puts in memory and counts them. */
function countingBlobs(): BlobStore & { puts: number } {
  const stored = new Map<string, Uint8Array>();
  const store = {
    name: 'memory',
    puts: 0,
    put: async (key: string, bytes: Uint8Array) => {
      store.puts++;
      stored.set(key, bytes);
      return { store: 'memory', key, size: bytes.length, sha256: key.split('/').pop()! };
    },
    get: async (ref: { key: string }) => stored.get(ref.key)!,
  };
  return store as unknown as BlobStore & { puts: number };
}

void describe('checkIn', () => {
  void it('returns small numbers, booleans, null and short strings as they are, without storing anything', async () => {
    const blobs = countingBlobs();
    for (const value of [0, 42, -7.5, true, false, null, '', 'page /index.html', 'a\ud800b']) assert.equal(await checkIn(value, blobs, 64), value);
    assert.equal(blobs.puts, 0);
  });

  void it('claims a string whose JSON exceeds the threshold, escapes included', async () => {
    const blobs = countingBlobs();
    const escaped = '\u0001'.repeat(20); // 20 characters, 122 bytes of JSON
    assert.ok(isClaimTicket(await checkIn(escaped, blobs, 64)));
    assert.ok(isClaimTicket(await checkIn('x'.repeat(100), blobs, 64)));
    assert.equal(blobs.puts, 2);
  });

  void it('returns numbers JSON changes as JSON reads them back, as for any other value', async () => {
    const blobs = countingBlobs();
    assert.ok(Object.is(await checkIn(-0, blobs, 64), 0), '-0 is stored as 0');
    assert.equal(await checkIn(Number.NaN, blobs, 64), null);
    assert.equal(await checkIn(Number.POSITIVE_INFINITY, blobs, 64), null);
  });
});
