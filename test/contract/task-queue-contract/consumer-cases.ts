/**
 * Contract cases: consumer concurrency and stopping, automatic settlement,
 * request/reply, durability across a restart, and close.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Delivery } from '../../../src/ports/task-queue.js';
import type { HarnessFactory } from './support.js';
import { advance, gate, queueName, recorder, rejectsWith, turns, waitFor, withHarness } from './support.js';

/** Registers the consumer, request/reply, durability and close cases. */
export function consumerCases(harness: HarnessFactory): void {
  for (const style of ['returns (auto-ack)', 'acks first, then works on'] as const) {
    void it(`never runs or holds more than \`concurrency\` deliveries: handler ${style}`, () =>
      withHarness(harness, async ({ queue }) => {
        const q = queueName('concurrency');
        await queue.publish(q, Array.from({ length: 40 }, (_, i) => ({ name: 'n', payload: i })));
        let running = 0;
        let peak = 0;
        let peakLeased = 0;
        let done = 0;
        const consumer = queue.consume(q, async (d) => {
          running++;
          peak = Math.max(peak, running);
          if (style !== 'returns (auto-ack)') await d.ack();
          peakLeased = Math.max(peakLeased, (await queue.stats(q)).inFlight);
          await turns(3);
          running--;
          done++;
        }, { concurrency: 4 });
        await waitFor(() => done === 40, 'all forty');
        await consumer.stop();
        assert.ok(peak <= 4, `peak of ${peak} handlers exceeds 4`);
        assert.ok(peak >= 2, `peak ${peak}: the consumer never ran handlers side by side`);
        assert.ok(peakLeased <= 4, `peak of ${peakLeased} leased messages exceeds 4`);
      }));
  }

  void it('stop({ drain: true }) waits for deliveries in hand to settle', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('drain');
      await queue.publish(q, { name: 'n', payload: 1 });
      const hold = gate();
      let started = false;
      const consumer = queue.consume(q, async () => {
        started = true;
        await hold.opened;
      }, { concurrency: 1 });
      await waitFor(() => started, 'the delivery');
      let stopped = false;
      const stopping = consumer.stop({ drain: true }).then(() => (stopped = true));
      await turns(20);
      assert.equal(stopped, false);
      hold.open();
      await stopping;
      const stats = await queue.stats(q);
      assert.equal(stats.ready + stats.inFlight, 0);
    }));

  void it('stop({ drain: true }) leaves nothing in flight when the handler acks early', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('drain-early-ack');
      await queue.publish(q, [{ name: 'n', payload: 1 }, { name: 'n', payload: 2 }, { name: 'n', payload: 3 }]);
      const hold = gate();
      const handled: unknown[] = [];
      const consumer = queue.consume(q, async (d) => {
        await d.ack();
        handled.push(d.payload);
        await hold.opened;
      }, { concurrency: 1 });
      await waitFor(() => handled.length === 1, 'the first delivery');
      await turns();
      const stopping = consumer.stop({ drain: true });
      hold.open();
      await stopping;
      const stats = await queue.stats(q);
      assert.equal(stats.inFlight, 0);
      assert.equal(handled.length + stats.ready, 3, 'a message was lost or duplicated');
    }));

  void it('stop({ drain: false }) releases deliveries for redelivery and aborts their signal', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('no-drain');
      await queue.publish(q, { name: 'n', payload: 1 });
      const hold = gate();
      let held: Delivery | undefined;
      const consumer = queue.consume(q, async (d) => {
        held = d;
        await hold.opened;
      }, { concurrency: 1 });
      await waitFor(() => held !== undefined, 'the delivery');
      await consumer.stop({ drain: false });
      assert.equal(held!.signal.aborted, true);
      const got = recorder();
      const next = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1 });
      await waitFor(() => got.seen.length === 1, 'the redelivery');
      assert.equal(got.seen[0]!.attempt, 2);
      await rejectsWith(held!.ack(), 'QUEUE_LEASE_LOST');
      hold.open();
      await next.stop();
    }));

  void it('nacks with requeue when the handler throws, and acks when it returns', (t) =>
    withHarness(harness, async ({ queue, clock }) => {
      const q = queueName('auto');
      await queue.publish(q, { name: 'n', payload: 1 });
      const got = recorder();
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        if (d.attempt === 1) throw new Error('transient');
      }, { concurrency: 1, leaseMs: 1000 });
      await waitFor(() => got.seen.length === 2, 'the redelivery');
      await waitFor(async () => (await queue.stats(q)).inFlight === 0, 'the automatic ack');
      if (clock !== undefined) await advance(clock, 5000);
      else t.diagnostic('real-time adapter: not advancing past the lease');
      await turns();
      await consumer.stop();
      assert.deepEqual(got.attempts(), [1, 2]);
      assert.deepEqual(await queue.stats(q), { ready: 0, delayed: 0, inFlight: 0, deadLettered: 0, redelivered: 1 });
    }));

  void it('answers a request with reply()', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('rpc');
      const consumer = queue.consume(q, async (d) => {
        assert.equal(d.expectsReply, true);
        await d.reply({ echo: d.payload, name: d.name });
      }, { concurrency: 2 });
      const answers = await Promise.all([
        queue.request(q, { name: 'sum', payload: [1, 2] }, { timeoutMs: 5000 }),
        queue.request(q, { name: 'max', payload: [3, 4] }, { timeoutMs: 5000, priority: 7 }),
      ]);
      assert.deepEqual(answers, [{ echo: [1, 2], name: 'sum' }, { echo: [3, 4], name: 'max' }]);
      await consumer.stop();
      assert.equal((await queue.stats(q)).inFlight, 0);
    }));

  void it('rejects reply() to a message that was not a request', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('no-reply');
      await queue.publish(q, { name: 'n', payload: 1 });
      let code: unknown;
      const consumer = queue.consume(q, async (d) => {
        code = await d.reply('hi').then(() => 'resolved', (e: { code?: unknown }) => e.code);
      }, { concurrency: 1 });
      await waitFor(() => code !== undefined, 'the reply attempt');
      await consumer.stop();
      assert.equal(code, 'QUEUE_MESSAGE_INVALID');
    }));

  void it('fails a request that gets no reply in time with QUEUE_REQUEST_TIMEOUT', () =>
    withHarness(harness, async ({ queue, clock }) => {
      const q = queueName('timeout');
      const timeoutMs = clock === undefined ? 100 : 1000;
      const outcome = queue.request(q, { name: 'n', payload: 1 }, { timeoutMs }).then(() => undefined, (e: unknown) => e);
      if (clock !== undefined) {
        await waitFor(async () => (await queue.stats(q)).ready === 1, 'the request');
        await advance(clock, timeoutMs);
      }
      const error = await outcome;
      assert.equal((error as { code?: unknown }).code, 'QUEUE_REQUEST_TIMEOUT');
    }));

  void it('delivers messages published before a restart, including ones in flight when it stopped', (t) =>
    withHarness(harness, async (h) => {
      if (h.reopen === undefined) {
        t.skip('adapter is not durable');
        return;
      }
      const q = queueName('durable');
      await h.queue.publish(q, [{ id: 'a', name: 'a', payload: 1 }, { id: 'b', name: 'b', payload: 2 }]);
      await h.queue.publish(q, [{ id: 'c', name: 'c', payload: 3, priority: 4 }, { id: 'd', name: 'd', payload: 4 }]);
      let inHand = 0;
      h.queue.consume(q, async () => {
        inHand++;
        await new Promise(() => undefined);
      }, { concurrency: 2 });
      await waitFor(() => inHand === 2, 'two deliveries in hand');
      const queue = await h.reopen();
      const got = recorder();
      const consumer = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1 });
      await waitFor(() => got.seen.length === 4, 'all four after the restart');
      await consumer.stop();
      const byId = new Map(got.seen.map((d) => [d.id, d]));
      assert.deepEqual([...byId.keys()].sort(), ['a', 'b', 'c', 'd']);
      assert.equal(byId.get('c')!.attempt, 2);
      assert.equal(byId.get('a')!.attempt, 2);
      assert.equal(byId.get('b')!.attempt, 1);
      assert.deepEqual(byId.get('d')!.payload, 4);
    }));

  void it('after close, refuses work and leaves no timers behind', () =>
    withHarness(harness, async ({ queue, clock }) => {
      const q = queueName('close');
      queue.consume(q, async () => undefined, { concurrency: 1 });
      const pending = queue.request(q, { name: 'n', payload: 1 }, { timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
      await queue.close();
      await queue.close();
      assert.equal(((await pending) as { code?: unknown } | undefined)?.code !== undefined, true);
      await rejectsWith(queue.publish(q, { name: 'n', payload: 1 }), 'QUEUE_CLOSED');
      if (clock !== undefined) assert.equal(clock.pendingTimers, 0);
    }));
}
