/** Admission control and single-flight: bounded, fair, cancellable; identical queries computed once. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { Admission, type Permit } from '../../../src/queries/service/admission.js';
import { SingleFlight } from '../../../src/queries/service/single-flight.js';

describe('Admission', () => {
  it('admits up to maxQueries and maxBytes, then queues; releasing admits the next', async () => {
    const admission = new Admission({ maxQueries: 2, maxBytes: 100, maxWaiting: 10, clock: new ManualClock() });
    const granted: Permit[] = [];
    const a = await admission.admit(10, 'x');
    const b = await admission.admit(10, 'x');
    const pending = admission.admit(10, 'y').then((p) => granted.push(p));
    await Promise.resolve();
    assert.equal(granted.length, 0);
    assert.deepEqual(admission.stats, { running: 2, bytes: 20, waiting: 1, rejected: 0 });
    a.release();
    await pending;
    assert.equal(granted.length, 1);
    b.release();
    granted[0]!.release();
    granted[0]!.release(); // twice is harmless
    assert.deepEqual(admission.stats, { running: 0, bytes: 0, waiting: 0, rejected: 0 });
  });

  it('serves clients in turn: one client\'s burst does not starve another', async () => {
    const admission = new Admission({ maxQueries: 1, maxBytes: 100, maxWaiting: 10, clock: new ManualClock() });
    const first = await admission.admit(1, 'busy');
    const order: string[] = [];
    const waits = [['busy', 1], ['busy', 2], ['busy', 3], ['calm', 1]].map(([client, n]) =>
      admission.admit(1, client as string).then((permit) => {
        order.push(`${client}${n}`);
        queueMicrotask(() => permit.release());
      }));
    first.release();
    await Promise.all(waits);
    assert.deepEqual(order, ['busy1', 'calm1', 'busy2', 'busy3']);
  });

  it('turns queries away with QUERY_OVERLOADED and a retry-after when the waiting list is full or the wait too long', async () => {
    const clock = new ManualClock();
    const admission = new Admission({ maxQueries: 1, maxBytes: 100, maxWaiting: 1, maxWaitMs: 1_000, clock });
    const held = await admission.admit(50, 'a');
    const waiting = admission.admit(50, 'b');
    const waited = assert.rejects(waiting, { code: 'QUERY_OVERLOADED', message: /no room within 1000 ms/ });
    await assert.rejects(admission.admit(1, 'c'), (error: { code: string; details: { retryAfterSeconds: number } }) => error.code === 'QUERY_OVERLOADED' && error.details.retryAfterSeconds >= 1);
    await assert.rejects(admission.admit(101, 'c'), { code: 'QUERY_OVERLOADED', message: /more than the 100 bytes all queries may hold/ });
    await clock.advance(1_000);
    await waited;
    held.release();
    assert.equal(admission.stats.rejected, 2);
  });

  it('a waiter whose caller goes away leaves the line', async () => {
    const admission = new Admission({ maxQueries: 1, maxBytes: 100, clock: new ManualClock() });
    const held = await admission.admit(1, 'a');
    const gone = new AbortController();
    const waiting = admission.admit(1, 'b', gone.signal);
    gone.abort();
    await assert.rejects(waiting, { code: 'QUERY_CANCELLED' });
    assert.equal(admission.stats.waiting, 0);
    held.release();
  });
});

describe('SingleFlight', () => {
  it('computes a key once for concurrent callers', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let finish!: (n: number) => void;
    const compute = (): Promise<number> => {
      runs++;
      return new Promise((resolve) => (finish = resolve));
    };
    const a = flights.run('k', compute);
    const b = flights.run('k', compute);
    await Promise.resolve();
    finish(42);
    assert.deepEqual(await a, { value: 42, joined: false });
    assert.deepEqual(await b, { value: 42, joined: true });
    assert.equal(runs, 1);
    assert.equal(flights.size, 0);
  });

  it('cancels the computation only when every caller has gone', async () => {
    const flights = new SingleFlight<number>();
    let signal!: AbortSignal;
    let finish!: (n: number) => void;
    const compute = (s: AbortSignal): Promise<number> => {
      signal = s;
      return new Promise((resolve) => (finish = resolve));
    };
    const one = new AbortController();
    const two = new AbortController();
    const a = flights.run('k', compute, one.signal);
    const b = flights.run('k', compute, two.signal);
    await Promise.resolve();
    one.abort();
    await assert.rejects(a, { code: 'QUERY_CANCELLED' });
    assert.equal(signal.aborted, false, 'the other caller still waits');
    two.abort();
    await assert.rejects(b, { code: 'QUERY_CANCELLED' });
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as { code: string }).code, 'QUERY_CANCELLED');
    finish(1);
  });
});
