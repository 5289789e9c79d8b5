/**
 * The `EventStore` contract, written once and run against every adapter
 * (SQLite now, PostgreSQL later). It tests only what
 * `src/ports/event-store.ts` promises, through the port alone.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hasCode, type ErrorCode } from '../../src/core/errors.js';
import type { EventStore, NewEvent, StoredEvent } from '../../src/ports/event-store.js';

/** What an adapter's test file hands the suite: a fresh, empty store per test. */
export interface EventStoreHarness {
  store: EventStore;
  /** Closes the current store and opens a new one over the same storage, as after a restart. */
  reopen?: () => Promise<EventStore>;
  /** Closes whatever is open and removes whatever the harness created. */
  cleanup: () => Promise<void>;
}

/**
 * Registers the contract tests for one adapter.
 *
 * @example
 * ```ts
 * eventStoreContract('sqlite', async () => {
 *   const dir = createTempDir()
 *   const store = new SqliteEventStore({ path: dir.file('events.db') })
 *   return { store, cleanup: async () => { await store.close(); dir.remove() } }
 * })
 * ```
 */
export function eventStoreContract(adapterName: string, harness: () => Promise<EventStoreHarness>): void {
  void describe(`EventStore contract: ${adapterName}`, () => {
    let h: EventStoreHarness;
    let store: EventStore;

    beforeEach(async () => {
      h = await harness();
      store = h.store;
    });

    afterEach(async () => {
      await h.cleanup();
    });

    void it('appends and reads a stream in version order', async () => {
      const first = await store.append('order-1', [event('Placed', { n: 1 }), event('Paid', { n: 2 }), event('Packed', { n: 3 })], 'no-stream');
      assert.equal(first.version, 3);
      const second = await store.append('order-1', [event('Shipped', { n: 4 }), event('Delivered', { n: 5 })], 3);
      assert.equal(second.version, 5);
      assert.ok(second.position > first.position);

      const events = await store.read('order-1');
      assert.deepEqual(events.map((e) => [e.version, e.type, e.data]), [
        [1, 'Placed', { n: 1 }],
        [2, 'Paid', { n: 2 }],
        [3, 'Packed', { n: 3 }],
        [4, 'Shipped', { n: 4 }],
        [5, 'Delivered', { n: 5 }],
      ]);
      assertIncreasing(events.map((e) => e.position));
      assert.equal(events[2]!.position, first.position);
      assert.equal(events[4]!.position, second.position);
      for (const e of events) {
        assert.equal(e.streamId, 'order-1');
        assert.equal(typeof e.id, 'string');
        assert.ok(e.id.length > 0);
        assert.deepEqual(e.metadata, {});
        assert.ok(Number.isFinite(e.recordedAt));
      }
      assert.equal(new Set(events.map((e) => e.id)).size, 5);
      assert.equal(await store.streamVersion('order-1'), 5);
    });

    void it('reads from a version with a limit, and an unknown stream as empty', async () => {
      await store.append('s', [1, 2, 3, 4, 5].map((n) => event('E', n)), 'no-stream');
      assert.deepEqual((await store.read('s', { fromVersion: 2, limit: 2 })).map((e) => e.version), [2, 3]);
      assert.deepEqual((await store.read('s', { fromVersion: 5 })).map((e) => e.version), [5]);
      assert.deepEqual(await store.read('s', { fromVersion: 6 }), []);
      assert.deepEqual(await store.read('nobody'), []);
      assert.equal(await store.streamVersion('nobody'), 0);
    });

    void it('round-trips data, metadata and caller ids', async () => {
      const data = { text: 'ünïcödé ✓', nested: { list: [1, 2.5, null, true, 'x'], empty: {} }, big: 2 ** 52 };
      await store.append('s', [{ id: 'evt-1', type: 'Rich', data, metadata: { traceId: 't-9', attempt: 2 } }, event('Bare', null)], 'no-stream');
      const [rich, bare] = await store.read('s');
      assert.equal(rich!.id, 'evt-1');
      assert.deepEqual(rich!.data, data);
      assert.deepEqual(rich!.metadata, { traceId: 't-9', attempt: 2 });
      assert.equal(bare!.data, null);
    });

    void it('rejects a stale expected version and writes nothing', async () => {
      await store.append('s', [event('A'), event('B')], 'no-stream');
      const before = await store.readAll();
      await rejectsWithCode(store.append('s', [event('C')], 1), 'EVENT_STORE_VERSION_CONFLICT', { streamId: 's', expected: 1, actual: 2 });
      await rejectsWithCode(store.append('s', [event('C')], 7), 'EVENT_STORE_VERSION_CONFLICT', { streamId: 's', expected: 7, actual: 2 });
      await rejectsWithCode(store.append('empty', [event('C')], 1), 'EVENT_STORE_VERSION_CONFLICT', { streamId: 'empty', actual: 0 });
      assert.equal(await store.streamVersion('s'), 2);
      assert.equal(await store.streamVersion('empty'), 0);
      assert.deepEqual(await store.readAll(), before);
    });

    void it("treats 'no-stream' as 0 and 'any' as no check", async () => {
      await store.append('a', [event('A1')], 'no-stream');
      await rejectsWithCode(store.append('a', [event('A2')], 'no-stream'), 'EVENT_STORE_VERSION_CONFLICT', { streamId: 'a', actual: 1 });
      await store.append('b', [event('B1')], 0);
      await rejectsWithCode(store.append('b', [event('B2')], 0), 'EVENT_STORE_VERSION_CONFLICT', { streamId: 'b', actual: 1 });
      assert.deepEqual((await store.append('a', [event('A2')], 'any')).version, 2);
      assert.deepEqual((await store.append('c', [event('C1')], 'any')).version, 1);
      assert.deepEqual((await store.read('a')).map((e) => e.type), ['A1', 'A2']);
    });

    void it('lets exactly one of two racing appends at the same version win', async () => {
      await store.append('race', [event('Start')], 'no-stream');
      const results = await Promise.allSettled([
        store.append('race', [event('Left', 'left')], 1),
        store.append('race', [event('Right', 'right')], 1),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(hasCode(lost[0]!.reason, 'EVENT_STORE_VERSION_CONFLICT'), `unexpected: ${String(lost[0]!.reason)}`);
      const events = await store.read('race');
      assert.equal(events.length, 2);
      assert.equal(events[1]!.type, results[0]!.status === 'fulfilled' ? 'Left' : 'Right');
    });

    void it('lets exactly one of many racing appends win', async () => {
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.append('crowd', [event('Claimed', i), event('Confirmed', i)], 'no-stream')));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(hasCode(r.reason, 'EVENT_STORE_VERSION_CONFLICT'));
      const events = await store.read('crowd');
      assert.deepEqual(events.map((e) => e.version), [1, 2]);
      assert.equal(events[0]!.data, events[1]!.data);
    });

    void it('stores a batch whole or not at all', async () => {
      await store.append('s', [event('A')], 'no-stream');
      await assert.rejects(store.append('s', [event('B'), { type: 'Bad', data: undefined }], 1));
      assert.equal(await store.streamVersion('s'), 1);
      assert.equal((await store.readAll()).length, 1);
    });

    void it('reads all streams in global order, paging by position', async () => {
      await store.append('a', [event('a1'), event('a2')], 'no-stream');
      await store.append('b', [event('b1')], 'no-stream');
      await store.append('a', [event('a3')], 2);
      await store.append('c', [event('c1'), event('c2')], 'any');
      await store.append('b', [event('b2')], 1);

      const all = await store.readAll();
      assert.deepEqual(all.map((e) => e.type), ['a1', 'a2', 'b1', 'a3', 'c1', 'c2', 'b2']);
      assertIncreasing(all.map((e) => e.position));
      for (const stream of ['a', 'b', 'c']) assertIncreasing(all.filter((e) => e.streamId === stream).map((e) => e.version));

      const paged: StoredEvent[] = [];
      for (let after = 0; ; ) {
        const page = await store.readAll({ afterPosition: after, limit: 3 });
        assert.ok(page.length <= 3);
        if (page.length === 0) break;
        paged.push(...page);
        after = page[page.length - 1]!.position;
      }
      assert.deepEqual(paged, all);
      assert.deepEqual(await store.readAll({ afterPosition: all[all.length - 1]!.position }), []);
      assert.deepEqual(await store.readAll({ afterPosition: all[2]!.position, limit: 2 }), all.slice(3, 5));
    });

    void it('returns the original result when a batch is re-appended with the same ids', async () => {
      const batch: NewEvent[] = [
        { id: 'e-1', type: 'A', data: 1 },
        { id: 'e-2', type: 'B', data: 2 },
      ];
      const original = await store.append('s', batch, 'no-stream');
      const before = await store.readAll();
      assert.deepEqual(await store.append('s', batch, 'no-stream'), original);
      assert.deepEqual(await store.append('s', batch, 0), original);
      assert.deepEqual(await store.append('s', batch, 'any'), original);
      assert.deepEqual(await store.readAll(), before);

      await store.append('s', [{ id: 'e-3', type: 'C', data: 3 }], 2);
      assert.deepEqual(await store.append('s', batch, 0), original, 'still recognised after the stream moved on');
      assert.deepEqual((await store.read('s')).map((e) => e.id), ['e-1', 'e-2', 'e-3']);
    });

    void it('refuses ids already stored elsewhere, naming the id, and writes nothing', async () => {
      await store.append('a', [{ id: 'x-1', type: 'A', data: 1 }], 'no-stream');
      for (const expected of ['no-stream', 'any'] as const) {
        await assert.rejects(
          store.append('b', [{ id: 'y-1', type: 'B', data: 1 }, { id: 'x-1', type: 'B', data: 2 }], expected),
          (error: unknown) => hasCode(error, 'EVENT_STORE_VERSION_CONFLICT') && (error as Error).message.includes('x-1'),
        );
      }
      assert.equal(await store.streamVersion('b'), 0);
      assert.deepEqual((await store.readAll()).map((e) => e.id), ['x-1']);
    });

    void it('keeps events across a reopen', async (t) => {
      if (h.reopen === undefined) return t.skip('adapter cannot reopen');
      await store.append('s', [event('A', { x: 1 }), event('B', { x: 2 })], 'no-stream');
      await store.append('t', [event('C', { x: 3 })], 'no-stream');
      const before = await store.readAll();

      store = await h.reopen();
      assert.deepEqual(await store.readAll(), before);
      assert.equal(await store.streamVersion('s'), 2);
      await rejectsWithCode(store.append('s', [event('Z')], 1), 'EVENT_STORE_VERSION_CONFLICT', { streamId: 's', actual: 2 });
      const next = await store.append('s', [event('D')], 2);
      assert.equal(next.version, 3);
      assert.ok(next.position > before[before.length - 1]!.position);
    });
  });
}

function event(type: string, data: unknown = {}): NewEvent {
  return { type, data };
}

function assertIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `not increasing at ${i}: ${values.join(', ')}`);
}

async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, details: Record<string, unknown> = {}): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(hasCode(error, code), `expected ${code}, got ${String(error)}`);
    const actual = (error as { details?: Record<string, unknown> }).details ?? {};
    for (const [key, value] of Object.entries(details)) assert.equal(actual[key], value, `details.${key}`);
    return true;
  });
}
