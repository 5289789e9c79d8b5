/**
 * The `CheckpointStore` contract, written once and run against every
 * adapter (SQLite now, PostgreSQL later). It tests only what
 * `src/ports/checkpoint-store.ts` promises, through the port alone.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hasCode, type ErrorCode } from '../../src/core/errors.js';
import type { CheckpointStore } from '../../src/ports/checkpoint-store.js';

/** What an adapter's test file hands the suite: a fresh, empty store per test. */
export interface CheckpointStoreHarness {
  store: CheckpointStore;
  /** Closes the current store and opens a new one over the same storage, as after a restart. */
  reopen?: () => Promise<CheckpointStore>;
  /** Closes whatever is open and removes whatever the harness created. */
  cleanup: () => Promise<void>;
}

/**
 * Registers the contract tests for one adapter.
 *
 * @example
 * ```ts
 * checkpointStoreContract('sqlite', async () => {
 *   const dir = createTempDir()
 *   const store = new SqliteCheckpointStore({ path: dir.file('checkpoints.db') })
 *   return { store, cleanup: async () => { await store.close(); dir.remove() } }
 * })
 * ```
 */
export function checkpointStoreContract(adapterName: string, harness: () => Promise<CheckpointStoreHarness>): void {
  void describe(`CheckpointStore contract: ${adapterName}`, () => {
    let h: CheckpointStoreHarness;
    let store: CheckpointStore;

    beforeEach(async () => {
      h = await harness();
      store = h.store;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    void it('loads nothing for a pipeline never committed', async () => {
      assert.equal(await store.load('nobody'), undefined);
    });

    void it('round-trips state bytes and offsets, counting versions from 1', async () => {
      const state = bytes(0, 1, 2, 127, 128, 255);
      assert.equal(await store.commit('p', { state, offsets: { 'clicks/0': 17, 'clicks/1': 0 }, expectedVersion: 0 }), 1);
      const first = await store.load('p');
      assert.ok(first !== undefined);
      assert.equal(first.pipeline, 'p');
      assert.equal(first.version, 1);
      assert.ok(first.state instanceof Uint8Array);
      assert.deepEqual([...first.state], [...state]);
      assert.deepEqual(first.offsets, { 'clicks/0': 17, 'clicks/1': 0 });
      assert.ok(Number.isFinite(first.committedAt));

      assert.equal(await store.commit('p', { state: bytes(9), offsets: { 'clicks/0': 20, 'clicks/1': 3 }, expectedVersion: 1 }), 2);
      const second = await store.load('p');
      assert.equal(second?.version, 2);
      assert.deepEqual([...second!.state], [9]);
      assert.deepEqual(second!.offsets, { 'clicks/0': 20, 'clicks/1': 3 });
    });

    void it('round-trips empty and large state, and keeps its own copy of the bytes', async () => {
      await store.commit('empty', { state: new Uint8Array(0), offsets: {}, expectedVersion: 0 });
      const empty = await store.load('empty');
      assert.equal(empty?.state.byteLength, 0);
      assert.deepEqual(empty?.offsets, {});

      const large = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) % 256);
      await store.commit('large', { state: large, offsets: { 't/0': 1 }, expectedVersion: 0 });
      const expected = large.slice();
      large.fill(0);
      assert.ok(Buffer.from((await store.load('large'))!.state).equals(expected));
    });

    void it('rejects a stale expected version with CHECKPOINT_CONFLICT and changes nothing', async () => {
      await store.commit('p', { state: bytes(1), offsets: { 't/0': 1 }, expectedVersion: 0 });
      await store.commit('p', { state: bytes(2), offsets: { 't/0': 2 }, expectedVersion: 1 });
      const before = await store.load('p');

      await rejectsWithCode(store.commit('p', { state: bytes(66), offsets: { 't/0': 66 }, expectedVersion: 1 }), 'CHECKPOINT_CONFLICT', { pipeline: 'p', expected: 1, actual: 2 });
      await rejectsWithCode(store.commit('p', { state: bytes(66), offsets: { 't/0': 66 }, expectedVersion: 0 }), 'CHECKPOINT_CONFLICT', { pipeline: 'p', actual: 2 });
      await rejectsWithCode(store.commit('p', { state: bytes(66), offsets: { 't/0': 66 }, expectedVersion: 3 }), 'CHECKPOINT_CONFLICT', { pipeline: 'p', actual: 2 });
      assert.deepEqual(await store.load('p'), before);

      await rejectsWithCode(store.commit('fresh', { state: bytes(1), offsets: {}, expectedVersion: 1 }), 'CHECKPOINT_CONFLICT', { pipeline: 'fresh', actual: 0 });
      assert.equal(await store.load('fresh'), undefined);
    });

    void it('lets exactly one of two racing commits at the same version win', async () => {
      await store.commit('p', { state: bytes(0), offsets: { 't/0': 0 }, expectedVersion: 0 });
      const results = await Promise.allSettled([
        store.commit('p', { state: bytes(1), offsets: { 't/0': 1 }, expectedVersion: 1 }),
        store.commit('p', { state: bytes(2), offsets: { 't/0': 2 }, expectedVersion: 1 }),
      ]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = results[1 - won]!;
      assert.ok(lost.status === 'rejected' && hasCode(lost.reason, 'CHECKPOINT_CONFLICT'));
      const latest = await store.load('p');
      assert.equal(latest?.version, 2);
      assert.deepEqual([...latest!.state], [won + 1], 'state and offsets both come from the winner');
      assert.deepEqual(latest!.offsets, { 't/0': won + 1 });
    });

    void it('keeps pipelines apart', async () => {
      await store.commit('a', { state: bytes(1), offsets: { 'x/0': 1 }, expectedVersion: 0 });
      await store.commit('b', { state: bytes(2), offsets: { 'y/0': 2 }, expectedVersion: 0 });
      await store.commit('a', { state: bytes(3), offsets: { 'x/0': 3 }, expectedVersion: 1 });
      assert.deepEqual([...(await store.load('a'))!.state], [3]);
      assert.deepEqual((await store.load('b'))!.offsets, { 'y/0': 2 });
      assert.equal((await store.load('b'))!.version, 1);
    });

    void it('keeps the latest checkpoint across a reopen', async (t) => {
      if (h.reopen === undefined) return t.skip('adapter cannot reopen');
      await store.commit('p', { state: bytes(1), offsets: { 't/0': 1 }, expectedVersion: 0 });
      await store.commit('p', { state: bytes(2, 3), offsets: { 't/0': 5, 't/1': 8 }, expectedVersion: 1 });
      const before = await store.load('p');

      store = await h.reopen();
      assert.deepEqual(await store.load('p'), before);
      await rejectsWithCode(store.commit('p', { state: bytes(9), offsets: {}, expectedVersion: 1 }), 'CHECKPOINT_CONFLICT', { pipeline: 'p' });
      assert.equal(await store.commit('p', { state: bytes(9), offsets: {}, expectedVersion: 2 }), 3);
    });
  });
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, details: Record<string, unknown> = {}): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(hasCode(error, code), `expected ${code}, got ${String(error)}`);
    const actual = (error as { details?: Record<string, unknown> }).details ?? {};
    for (const [key, value] of Object.entries(details)) assert.equal(actual[key], value, `details.${key}`);
    return true;
  });
}
