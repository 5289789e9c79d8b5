/**
 * Contract cases: nack and redelivery, delays, dead letters, leases and fencing.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Consumer, Delivery } from '../../../src/ports/task-queue.js';
import { delayCases } from './delay-cases.js';
import type { HarnessFactory } from './support.js';
import { advance, gate, queueName, recorder, rejectsWith, turns, waitFor, withClock, withHarness } from './support.js';

/** Registers the nack, delay, dead-letter, lease and fencing cases. */
export function settlementCases(harness: HarnessFactory): void {
  void it('redelivers a nacked message with attempt + 1', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('nack');
      await queue.publish(q, { name: 'n', payload: 1 });
      const got = recorder();
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        if (d.attempt === 1) await d.nack();
      }, { concurrency: 1 });
      await waitFor(() => got.seen.length === 2, 'the redelivery');
      await consumer.stop();
      assert.deepEqual(got.attempts(), [1, 2]);
      const stats = await queue.stats(q);
      assert.equal(stats.redelivered, 1);
      assert.equal(stats.ready + stats.inFlight, 0);
    }));

  delayCases(harness);

  void it('dead-letters after maxAttempts failed deliveries, with the reason', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('dead');
      await queue.publish(q, { id: 'doomed', name: 'n', payload: { x: 1 }, maxAttempts: 2 });
      const got = recorder();
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        throw new Error('boom');
      }, { concurrency: 1 });
      await waitFor(async () => (await queue.stats(q)).deadLettered === 1, 'the dead letter');
      await consumer.stop();
      assert.deepEqual(got.attempts(), [1, 2]);
      const [dead, ...rest] = await queue.deadLetters(q);
      assert.equal(rest.length, 0);
      assert.equal(dead!.id, 'doomed');
      assert.equal(dead!.queue, q);
      assert.equal(dead!.name, 'n');
      assert.deepEqual(dead!.payload, { x: 1 });
      assert.equal(dead!.attempts, 2);
      assert.match(dead!.reason, /boom/);
      assert.equal(typeof dead!.deadAt, 'number');
      const stats = await queue.stats(q);
      assert.equal(stats.ready + stats.inFlight + stats.delayed, 0);
    }));

  void it('dead-letters at once on nack without requeue, and requeueDeadLetter brings it back fresh', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('requeue');
      await queue.publish(q, { id: 'm', name: 'n', payload: 1 });
      const got = recorder();
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        if (got.seen.length === 1) await d.nack({ requeue: false, reason: 'poison' });
      }, { concurrency: 1 });
      await waitFor(async () => (await queue.stats(q)).deadLettered === 1, 'the dead letter');
      assert.equal((await queue.deadLetters(q))[0]!.reason, 'poison');
      await queue.requeueDeadLetter(q, 'm');
      await waitFor(() => got.seen.length === 2, 'the requeued delivery');
      assert.deepEqual(got.attempts(), [1, 1]);
      await waitFor(async () => (await queue.stats(q)).inFlight === 0, 'the ack');
      assert.deepEqual(await queue.deadLetters(q), []);
      assert.equal((await queue.stats(q)).deadLettered, 0);
      await rejectsWith(queue.requeueDeadLetter(q, 'never-dead'), 'QUEUE_MESSAGE_NOT_FOUND');
      await consumer.stop();
    }));

  void it('drops a dead letter for good, leaving the others', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('drop');
      await queue.publish(q, [{ id: 'a', name: 'n', payload: 1 }, { id: 'b', name: 'n', payload: 2 }, { id: 'c', name: 'n', payload: 3 }]);
      const consumer = queue.consume(q, (d) => d.nack({ requeue: false, reason: `poison ${d.id}` }), { concurrency: 1 });
      await waitFor(async () => (await queue.stats(q)).deadLettered === 3, 'three dead letters');
      await consumer.stop();
      await queue.dropDeadLetter(q, 'b');
      assert.deepEqual((await queue.deadLetters(q)).map((d) => d.id).sort(), ['a', 'c']);
      const stats = await queue.stats(q);
      assert.deepEqual([stats.deadLettered, stats.ready + stats.delayed + stats.inFlight], [2, 0], 'dropped, not requeued');
      await rejectsWith(queue.dropDeadLetter(q, 'b'), 'QUEUE_MESSAGE_NOT_FOUND');
      await rejectsWith(queue.dropDeadLetter(q, 'never-dead'), 'QUEUE_MESSAGE_NOT_FOUND');
    }));

  for (const first of ['ack', 'nack', 'extendLease'] as const) {
    void it(`hands a lapsed lease to another consumer and fences the old holder's ${first}`, (t) =>
      withClock(t, harness, async ({ queue }, clock) => {
        const q = queueName('fence');
        await queue.publish(q, { name: 'n', payload: 1 });
        const hold = gate();
        let old: Delivery | undefined;
        const slow = queue.consume(q, async (d) => {
          old = d;
          await hold.opened;
        }, { concurrency: 1, leaseMs: 1000 });
        await waitFor(() => old !== undefined, 'the first delivery');
        const got = recorder();
        const holdNew = gate();
        const fast = queue.consume(q, async (d) => {
          got.seen.push(d);
          await holdNew.opened;
        }, { concurrency: 1, leaseMs: 60_000 });
        await turns();
        assert.equal(got.seen.length, 0);
        await advance(clock, 1500);
        await waitFor(() => got.seen.length === 1, 'the redelivery');
        assert.equal(got.seen[0]!.attempt, 2);
        assert.equal(old!.signal.aborted, true);
        // The new holder still has it: the old holder's settle must reach the store and be refused there.
        await rejectsWith(first === 'nack' ? old!.nack({ requeue: false }) : old![first](), 'QUEUE_LEASE_LOST');
        await rejectsWith(old!.ack(), 'QUEUE_LEASE_LOST');
        assert.deepEqual(await queue.stats(q), { ready: 0, delayed: 0, inFlight: 1, deadLettered: 0, redelivered: 1 });
        await got.seen[0]!.ack();
        assert.equal(got.seen[0]!.signal.aborted, false);
        hold.open();
        holdNew.open();
        await Promise.all([slow.stop(), fast.stop()]);
        const stats = await queue.stats(q);
        assert.equal(stats.ready + stats.inFlight, 0);
      }));
  }

  void it('keeps a lease that is extended', (t) =>
    withClock(t, harness, async ({ queue }, clock) => {
      const q = queueName('extend');
      await queue.publish(q, { name: 'n', payload: 1 });
      let held: Delivery | undefined;
      const hold = gate();
      const first = queue.consume(q, async (d) => {
        held = d;
        await hold.opened;
      }, { concurrency: 1, leaseMs: 1000 });
      await waitFor(() => held !== undefined, 'the delivery');
      const got = recorder();
      const second = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1, leaseMs: 1000 });
      await advance(clock, 600);
      await held!.extendLease(1000);
      await advance(clock, 700);
      assert.equal(got.seen.length, 0);
      assert.equal(held!.signal.aborted, false);
      assert.equal((await queue.stats(q)).inFlight, 1);
      await held!.ack();
      hold.open();
      await Promise.all([first.stop(), second.stop()]);
      assert.equal(got.seen.length, 0);
    }));

  void it('dead-letters a message whose lease lapsed on its last attempt', (t) =>
    withClock(t, harness, async ({ queue }, clock) => {
      const q = queueName('lapse-dead');
      await queue.publish(q, { id: 'stuck', name: 'n', payload: 1, maxAttempts: 2 });
      const hold = gate();
      const got = recorder();
      const consumers: Consumer[] = [];
      const start = (): void => {
        consumers.push(queue.consume(q, async (d) => {
          got.seen.push(d);
          await hold.opened;
        }, { concurrency: 1, leaseMs: 1000 }));
      };
      start();
      await waitFor(() => got.seen.length === 1, 'attempt 1');
      start();
      await advance(clock, 1100);
      await waitFor(() => got.seen.length === 2, 'attempt 2');
      start();
      await advance(clock, 1100);
      await waitFor(async () => (await queue.stats(q)).deadLettered === 1, 'the dead letter');
      assert.deepEqual(got.attempts(), [1, 2]);
      const [dead] = await queue.deadLetters(q);
      assert.equal(dead!.id, 'stuck');
      assert.equal(dead!.attempts, 2);
      assert.match(dead!.reason, /lease expired/);
      hold.open();
      await Promise.all(consumers.map((c) => c.stop({ drain: false })));
      const stats = await queue.stats(q);
      assert.equal(stats.ready + stats.inFlight, 0);
    }));

  void it('rejects a second settle with QUEUE_ALREADY_SETTLED', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('double');
      await queue.publish(q, { name: 'n', payload: 1 });
      const codes: unknown[] = [];
      const consumer = queue.consume(q, async (d) => {
        await d.ack();
        for (const again of [() => d.ack(), () => d.nack(), () => d.extendLease()]) {
          codes.push(await again().then(() => 'resolved', (e: { code?: unknown }) => e.code));
        }
      }, { concurrency: 1 });
      await waitFor(() => codes.length === 3, 'the second settles');
      await consumer.stop();
      assert.deepEqual(codes, ['QUEUE_ALREADY_SETTLED', 'QUEUE_ALREADY_SETTLED', 'QUEUE_ALREADY_SETTLED']);
      assert.equal((await queue.stats(q)).redelivered, 0);
    }));
}
