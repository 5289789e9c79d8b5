/**
 * The `BlobStore` contract, written once and run against every adapter
 * (file system now, S3 later). It tests only what `src/ports/blob-store.ts`
 * promises: nothing here may depend on how an adapter stores bytes.
 * Corruption tests need the adapter's help to damage a blob (`corrupt`);
 * a harness that cannot offer it skips them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hasCode } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import type { BlobRef, BlobStore } from '../../src/ports/blob-store.js';

/** What an adapter's test file hands the suite: a fresh, empty store per test. */
export interface BlobStoreHarness {
  store: BlobStore;
  /** Damages a stored blob's content: flip one bit, or cut off its last bytes. */
  corrupt?: (key: string, mode: 'flip' | 'truncate') => Promise<void>;
  /** The finest step of `modifiedAt` the store keeps (S3: whole seconds). @defaultValue 1 */
  modifiedAtResolutionMs?: number;
  /** Removes whatever the harness created (directory, bucket prefix). */
  cleanup: () => Promise<void>;
}

/** Keys every adapter must refuse with `BLOB_KEY_INVALID`, by reason. */
export const INVALID_BLOB_KEYS: ReadonlyArray<readonly [reason: string, key: string]> = [
  ['empty', ''],
  ['absolute', '/etc/passwd'],
  ['only a slash', '/'],
  ['parent segment', 'a/../b'],
  ['leading parent segment', '../x'],
  ['trailing parent segment', 'a/..'],
  ['bare parent', '..'],
  ['current segment', 'a/./b'],
  ['bare current', '.'],
  ['empty segment', 'a//b'],
  ['trailing slash', 'a/'],
  ['backslash', 'a\\b'],
  ['backslash traversal', '..\\..\\x'],
  ['Windows drive path', 'C:\\x'],
  ['NUL', 'a\u0000b'],
  ['control character', 'a\nb'],
  ['encoded parent, lower case', '%2e%2e/x'],
  ['encoded parent, upper case', '%2E%2E/x'],
  ['encoded parent, mixed case', 'a/%2e%2E/b'],
  ['encoded slash', 'a%2fb'],
  ['encoded slash, upper case', '..%2F..%2Fetc'],
  ['encoded backslash', 'a%5cb'],
  ['encoded backslash, upper case', 'a%5Cb'],
  ['encoded NUL', 'a%00b'],
  ['double-encoded parent', '%252e%252e/x'],
  ['overlong UTF-8 slash', 'a%c0%afb'],
  ['too long', 'k'.repeat(1025)],
];

/** A server's clock and this machine's may differ a little (S3 dates its objects itself). */
const CLOCK_SLACK_MS = 5_000;

/** Unusual keys that are not traversal and must be accepted. */
const ODD_BUT_VALID_KEYS = ['a..b', '..a/b', 'a./...', 'x%41y', 'with space/and-dash_under.score', 'ünïcödé/ключ', 'a:b'];

/**
 * Registers the contract tests for one adapter.
 *
 * @example
 * ```ts
 * blobStoreContract('fs', async () => {
 *   const dir = createTempDir()
 *   return { store: new FileBlobStore({ root: dir.path }), cleanup: async () => dir.remove() }
 * })
 * ```
 */
export function blobStoreContract(adapterName: string, harness: () => Promise<BlobStoreHarness>): void {
  void describe(`BlobStore contract: ${adapterName}`, () => {
    let h: BlobStoreHarness;
    let store: BlobStore;

    beforeEach(async () => {
      h = await harness();
      store = h.store;
    });

    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    void describe('put', () => {
      void it('gives the same ref for bytes, a Readable and an async iterable of the same content', async () => {
        const content = bytes(100_000, 1);
        const fromBytes = await store.put('same/bytes', content);
        const fromStream = await store.put('same/stream', Readable.from(chunks(content, 4096)));
        const fromIterable = await store.put('same/iterable', iterate(chunks(content, 333)));
        const expected = { store: store.name, size: content.length, sha256: sha256(content) };
        assert.deepEqual(fromBytes, { ...expected, key: 'same/bytes' });
        assert.deepEqual(fromStream, { ...expected, key: 'same/stream' });
        assert.deepEqual(fromIterable, { ...expected, key: 'same/iterable' });
      });

      void it('stores an empty blob', async () => {
        const ref = await store.put('empty', new Uint8Array(0));
        assert.equal(ref.size, 0);
        assert.equal(ref.sha256, sha256(new Uint8Array(0)));
        assertSameBytes(await store.get(ref), new Uint8Array(0));
        assertSameBytes(await store.getRange(ref, 0, 0), new Uint8Array(0));
      });

      void it('accepts unusual keys that are not traversal', async () => {
        for (const key of ODD_BUT_VALID_KEYS) {
          const ref = await store.put(key, bytes(10, 2));
          assert.deepEqual(await store.head(key), ref, key);
        }
      });

      void it('lets a key be a prefix of another', async () => {
        const short = await store.put('a', bytes(5, 3));
        const long = await store.put('a/b', bytes(6, 4));
        assert.deepEqual(await store.head('a'), short);
        assert.deepEqual(await store.head('a/b'), long);
      });

      void it('is not visible to readers until it resolves', async () => {
        const body = new PassThrough();
        const pending = store.put('slow', body);
        body.write(bytes(1000, 5));
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(await store.head('slow'), undefined);
        assert.deepEqual(await collect(store.list('slow')), []);
        body.end(bytes(1000, 6));
        const ref = await pending;
        assert.deepEqual(await store.head('slow'), ref);
      });

      void it('fails and stores nothing when the body fails', async () => {
        async function* failing(): AsyncGenerator<Uint8Array> {
          yield bytes(100, 7);
          throw new Error('source broke');
        }
        await assert.rejects(store.put('broken', failing()), /source broke/);
        assert.equal(await store.head('broken'), undefined);
      });
    });

    void describe('immutability', () => {
      void it('treats the same content again as a no-op returning the same ref', async () => {
        const content = bytes(5000, 8);
        const first = await store.put('once', content);
        assert.deepEqual(await store.put('once', content), first);
        assert.deepEqual(await store.put('once', Readable.from(chunks(content, 100))), first);
      });

      void it('refreshes modifiedAt when the same content is put again, and not on a refused put', async () => {
        const content = bytes(3000, 60);
        await store.put('aged', content);
        const [first] = await collect(store.listEntries('aged'));
        // Past the store's resolution, so a refreshed time must read later.
        await new Promise((resolve) => setTimeout(resolve, (h.modifiedAtResolutionMs ?? 1) + 20));
        await rejectsWith(store.put('aged', bytes(3000, 61)), 'BLOB_CONFLICT');
        const [refused] = await collect(store.listEntries('aged'));
        assert.equal(refused!.modifiedAt, first!.modifiedAt, 'a refused put changes nothing');
        assert.deepEqual(await store.put('aged', content), first!.ref);
        const [again] = await collect(store.listEntries('aged'));
        assert.deepEqual(again!.ref, first!.ref);
        assert.ok(again!.modifiedAt > first!.modifiedAt, `${again!.modifiedAt} > ${first!.modifiedAt}`);
      });

      void it('refuses different content with BLOB_CONFLICT and keeps the original', async () => {
        const original = bytes(5000, 9);
        const ref = await store.put('once', original);
        await rejectsWith(store.put('once', bytes(5000, 10)), 'BLOB_CONFLICT');
        await rejectsWith(store.put('once', original.subarray(0, 4999)), 'BLOB_CONFLICT');
        await rejectsWith(store.put('once', new Uint8Array(0)), 'BLOB_CONFLICT');
        assert.deepEqual(await store.head('once'), ref);
        assertSameBytes(await store.get(ref), original);
      });

      void it('lets exactly one of several concurrent different writers win', async () => {
        const contents = [11, 12, 13, 14, 15].map((seed) => bytes(20_000, seed));
        const results = await Promise.allSettled(contents.map((content) => store.put('race', content)));
        const won = results.filter((r): r is PromiseFulfilledResult<BlobRef> => r.status === 'fulfilled');
        assert.equal(won.length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(hasCode(r.reason, 'BLOB_CONFLICT'), String(r.reason));
        const winner = contents.find((c) => sha256(c) === won[0]!.value.sha256)!;
        assertSameBytes(await store.get(won[0]!.value), winner);
      });

      void it('lets concurrent writers of the same content all succeed with one ref', async () => {
        const content = bytes(20_000, 16);
        const refs = await Promise.all([1, 2, 3, 4, 5].map(() => store.put('same-race', content)));
        for (const ref of refs) assert.deepEqual(ref, refs[0]);
      });
    });

    void describe('get', () => {
      void it('returns the whole content', async () => {
        const content = bytes(70_000, 17);
        const ref = await store.put('k/get', content);
        assertSameBytes(await store.get(ref), content);
      });

      void it('fails with BLOB_NOT_FOUND for a missing blob', async () => {
        const ref: BlobRef = { store: store.name, key: 'nothing/here', size: 1, sha256: sha256(bytes(1, 1)) };
        await rejectsWith(store.get(ref), 'BLOB_NOT_FOUND');
        await rejectsWith(store.getRange(ref, 0, 1), 'BLOB_NOT_FOUND');
      });

      void it('fails with BLOB_HASH_MISMATCH when the ref does not describe the content', async () => {
        const ref = await store.put('k/ref', bytes(1000, 18));
        const error = await rejectsWith(store.get({ ...ref, sha256: '0'.repeat(64) }), 'BLOB_HASH_MISMATCH');
        assert.equal(error.details?.key, 'k/ref');
        await rejectsWith(store.get({ ...ref, size: ref.size + 1 }), 'BLOB_HASH_MISMATCH');
        await rejectsWith(store.get({ ...ref, size: ref.size - 1 }), 'BLOB_HASH_MISMATCH');
      });
    });

    void describe('getRange', () => {
      const content = bytes(10_000, 19);
      let ref: BlobRef;
      beforeEach(async () => {
        ref = await store.put('ranged', content);
      });

      void it('reads the ranges asked for, edges included', async () => {
        const cases: Array<[number, number]> = [[0, 1], [0, 10_000], [1234, 4321], [9_999, 1], [10_000, 0], [0, 0], [5000, 0]];
        for (const [offset, length] of cases) {
          assertSameBytes(await store.getRange(ref, offset, length), content.subarray(offset, offset + length), `${offset}+${length}`);
        }
      });

      void it('fails with BLOB_RANGE_INVALID outside the blob', async () => {
        const cases: Array<[number, number]> = [[10_000, 1], [9_999, 2], [0, 10_001], [-1, 1], [0, -1], [1.5, 1], [0, Number.NaN], [Number.POSITIVE_INFINITY, 0]];
        for (const [offset, length] of cases) await rejectsWith(store.getRange(ref, offset, length), 'BLOB_RANGE_INVALID');
      });

      void it('serves ranges read at once, as a streaming reader issues them, and hints a sane read plan', async () => {
        const hint = store.rangeReads;
        if (hint !== undefined) {
          assert.ok(Number.isSafeInteger(hint.chunkBytes) && hint.chunkBytes >= 64 * 1024, `chunkBytes ${hint.chunkBytes}`);
          assert.ok(Number.isSafeInteger(hint.inFlight) && hint.inFlight >= 1, `inFlight ${hint.inFlight}`);
        }
        const reads: Array<Promise<Uint8Array>> = [];
        for (let at = 0; at < content.length; at += 4096) reads.push(store.getRange(ref, at, Math.min(4096, content.length - at)));
        assertSameBytes(Buffer.concat(await Promise.all(reads)), content, 'concurrent ranges');
      });
    });

    void describe('head', () => {
      void it('returns the ref of a stored blob and undefined for a missing one', async () => {
        const ref = await store.put('h/one', bytes(123, 20));
        assert.deepEqual(await store.head('h/one'), ref);
        assert.equal(await store.head('h/two'), undefined);
        assert.equal(await store.head('h'), undefined);
        assert.equal(await store.head('h/one/deeper'), undefined);
      });
    });

    void describe('list', () => {
      const keys = ['b', 'a/b', 'a.c', 'a/a/z', 'a0', 'a', 'ab/c', 'a/b-c', 'a/a', 'z/y/x', 'a-'];
      let listedFrom = 0;
      beforeEach(async () => {
        listedFrom = Date.now();
        for (const [i, key] of keys.entries()) await store.put(key, bytes(10 + i, 30 + i));
      });

      void it('yields every blob under a prefix, in key order, with its ref', async () => {
        for (const prefix of ['', 'a', 'a/', 'a/a', 'a/b', 'ab', 'z/y/', 'z/y/x', 'q', 'a/a/z/']) {
          const listed = await collect(store.list(prefix));
          const expected = keys.filter((k) => k.startsWith(prefix)).sort(byBytes);
          assert.deepEqual(listed.map((r) => r.key), expected, `prefix "${prefix}"`);
          for (const ref of listed) assert.deepEqual(ref, await store.head(ref.key));
        }
      });

      void it('gives each blob its ref and when it was put, through listEntries', async () => {
        const entries = await collect(store.listEntries('a/'));
        assert.deepEqual(entries.map((e) => e.ref), await collect(store.list('a/')));
        const step = h.modifiedAtResolutionMs ?? 1;
        for (const { modifiedAt } of entries) {
          assert.ok(Number.isFinite(modifiedAt) && modifiedAt >= listedFrom - step - CLOCK_SLACK_MS && modifiedAt <= Date.now() + CLOCK_SLACK_MS, String(modifiedAt));
        }
      });

      void it('refuses a traversal prefix', async () => {
        for (const prefix of ['../', '/', 'a/../', '%2e%2e/', 'a\\', 'a//']) {
          await rejectsWith(collect(store.list(prefix)), 'BLOB_KEY_INVALID');
        }
      });
    });

    void describe('delete', () => {
      void it('removes a blob from head, get and list', async () => {
        const ref = await store.put('d/gone', bytes(100, 40));
        const kept = await store.put('d/kept', bytes(100, 41));
        await store.delete('d/gone');
        assert.equal(await store.head('d/gone'), undefined);
        await rejectsWith(store.get(ref), 'BLOB_NOT_FOUND');
        assert.deepEqual(await collect(store.list('d/')), [kept]);
      });

      void it('accepts a missing key', async () => {
        await store.delete('never/was');
        await store.put('x', bytes(1, 42));
        await store.delete('x');
        await store.delete('x');
      });
    });

    void describe('keys', () => {
      for (const [reason, key] of INVALID_BLOB_KEYS) {
        void it(`refuses a key with ${reason} everywhere`, async () => {
          const ref: BlobRef = { store: store.name, key, size: 1, sha256: sha256(bytes(1, 1)) };
          await rejectsWith(store.put(key, bytes(1, 1)), 'BLOB_KEY_INVALID');
          await rejectsWith(store.put(key, Readable.from([bytes(1, 1)])), 'BLOB_KEY_INVALID');
          await rejectsWith(store.head(key), 'BLOB_KEY_INVALID');
          await rejectsWith(store.delete(key), 'BLOB_KEY_INVALID');
          await rejectsWith(store.get(ref), 'BLOB_KEY_INVALID');
          await rejectsWith(store.getRange(ref, 0, 1), 'BLOB_KEY_INVALID');
        });
      }

      void it('refuses a key that is not a string', async () => {
        await rejectsWith(store.put(42 as unknown as string, bytes(1, 1)), 'BLOB_KEY_INVALID');
        await rejectsWith(store.head(undefined as unknown as string), 'BLOB_KEY_INVALID');
      });
    });

    void describe('corruption', () => {
      void it('detects a flipped bit on get', async (t) => {
        if (h.corrupt === undefined) return t.skip('the harness cannot corrupt blobs');
        const ref = await store.put('c/flip', bytes(4096, 50));
        await h.corrupt('c/flip', 'flip');
        const error = await rejectsWith(store.get(ref), 'BLOB_HASH_MISMATCH');
        assert.equal(error.details?.key, 'c/flip');
        assert.ok(error.details?.expected !== undefined && error.details.actual !== undefined);
        assert.notEqual(error.details.expected, error.details.actual);
      });

      void it('detects truncation on get and getRange', async (t) => {
        if (h.corrupt === undefined) return t.skip('the harness cannot corrupt blobs');
        const ref = await store.put('c/cut', bytes(4096, 51));
        await h.corrupt('c/cut', 'truncate');
        const error = await rejectsWith(store.get(ref), 'BLOB_HASH_MISMATCH');
        assert.equal(error.details?.key, 'c/cut');
        await rejectsWith(store.getRange(ref, 0, 16), 'BLOB_HASH_MISMATCH');
      });
    });

    void describe('close', () => {
      void it('waits for operations in progress, then refuses every call', async () => {
        const kept = await store.put('kept', new Uint8Array([1]));
        const body = new PassThrough();
        const pending = store.put('late', body);
        const closing = store.close();
        body.end(new Uint8Array([2]));
        assert.equal((await pending).size, 1); // the put begun before close finishes
        await closing;
        await rejectsWith(store.head('kept'), 'NOT_AVAILABLE');
        await rejectsWith(store.get(kept), 'NOT_AVAILABLE');
        await rejectsWith(store.getRange(kept, 0, 1), 'NOT_AVAILABLE');
        await rejectsWith(store.put('after', new Uint8Array([3])), 'NOT_AVAILABLE');
        await rejectsWith(store.delete('kept'), 'NOT_AVAILABLE');
        await store.close(); // a second close is harmless
      });
    });

    void describe('large blobs', () => {
      void it('streams 20 MB in and reads it back whole and by range', async () => {
        const total = 20 * 1024 * 1024;
        const chunk = 64 * 1024;
        const hash = createHash('sha256');
        async function* produce(): AsyncGenerator<Uint8Array> {
          for (let i = 0; i < total / chunk; i++) {
            const part = bytes(chunk, 1000 + i);
            hash.update(part);
            yield part;
          }
        }
        const ref = await store.put('big/blob', Readable.from(produce()));
        assert.equal(ref.size, total);
        assert.equal(ref.sha256, hash.digest('hex'));
        const back = await store.get(ref);
        assert.equal(back.length, total);
        assert.equal(sha256(back), ref.sha256);
        const tail = await store.getRange(ref, total - 100_000, 100_000);
        assertSameBytes(tail, back.subarray(total - 100_000));
      });
    });
  });
}

/**
 * Asserts two byte arrays hold the same bytes, whatever their class (an
 * adapter may return a `Buffer`, which is a `Uint8Array`), naming the first
 * difference instead of dumping megabytes.
 */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, message = 'bytes differ'): void {
  assert.ok(actual instanceof Uint8Array, `${message}: not a Uint8Array`);
  assert.equal(actual.length, expected.length, `${message}: length`);
  const at = actual.findIndex((byte, i) => byte !== expected[i]);
  assert.equal(at, -1, `${message}: first difference at byte ${at}`);
}

/** Deterministic pseudo-random bytes (xorshift), different per seed. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function chunks(content: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < content.length; i += size) out.push(content.slice(i, i + size));
  return out;
}

async function* iterate(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part;
}

function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Asserts `promise` rejects with `code` and returns the error for further checks. */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<{ details?: Record<string, unknown> }> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return hasCode(error, code);
  }, `expected ${code}`);
  return caught as { details?: Record<string, unknown> };
}
