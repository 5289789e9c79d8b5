/** ThreadGate: at most N at once, first come first served, a waiter can be aborted. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadGate } from '../../../src/mapreduce/thread-gate.js';

describe('ThreadGate', () => {
  it('lets N in, queues the rest in arrival order, and lets one in per release', async () => {
    const gate = new ThreadGate(2);
    const order: number[] = [];
    const first = await gate.acquire();
    const second = await gate.acquire();
    const waiting = [3, 4].map((n) => gate.acquire().then((release) => {
      order.push(n);
      return release;
    }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [], 'both slots are taken');
    first();
    first(); // a second call of the same release is a no-op
    const third = await waiting[0]!;
    assert.deepEqual(order, [3]);
    second();
    (await waiting[1]!)();
    third();
    assert.deepEqual(order, [3, 4]);
  });

  it('drops a waiter whose signal aborts, without taking its slot', async () => {
    const gate = new ThreadGate(1);
    const held = await gate.acquire();
    const controller = new AbortController();
    const aborted = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort(new Error('cancelled'));
    await assert.rejects(aborted, /cancelled/);
    held();
    (await next)();
    await assert.rejects(gate.acquire(AbortSignal.abort(new Error('already'))), /already/);
  });
});
