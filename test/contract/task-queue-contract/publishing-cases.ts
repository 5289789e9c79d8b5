/**
 * Contract cases: publishing, delivery order, dedup, argument checks, stats.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Delivery, TaskQueue } from '../../../src/ports/task-queue.js';
import type { HarnessFactory } from './support.js';
import { gate, queueName, recorder, rejectsWith, turns, waitFor, withHarness } from './support.js';

/** Registers the publishing, order, dedup, validation and stats cases. */
export function publishingCases(harness: HarnessFactory): void {
  void it('delivers a published message with its fields, and ack removes it', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('basic');
      await queue.publish(q, { id: 'm-1', name: 'greet', payload: { to: 'world', n: [1, 2] }, headers: { trace: 't-1' } });
      const got = recorder();
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        await d.ack();
      }, { concurrency: 1 });
      await waitFor(() => got.seen.length === 1, 'the delivery');
      const d = got.seen[0]!;
      assert.equal(d.id, 'm-1');
      assert.equal(d.queue, q);
      assert.equal(d.name, 'greet');
      assert.deepEqual(d.payload, { to: 'world', n: [1, 2] });
      assert.equal(d.headers.trace, 't-1');
      assert.equal(d.priority, 0);
      assert.equal(d.attempt, 1);
      assert.equal(d.maxAttempts, 5);
      assert.equal(d.expectsReply, false);
      assert.equal(typeof d.publishedAt, 'number');
      assert.equal(d.signal.aborted, false);
      await consumer.stop();
      assert.deepEqual(await queue.stats(q), { ready: 0, delayed: 0, inFlight: 0, deadLettered: 0, redelivered: 0 });
    }));

  void it('delivers higher priority first, and publish order within a priority', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('order');
      await queue.publish(q, [{ name: 'a1', payload: 1 }, { name: 'a2', payload: 2 }]);
      await queue.publish(q, { name: 'b1', payload: 3, priority: 5 });
      await queue.publish(q, { name: 'a3', payload: 4 });
      await queue.publish(q, [{ name: 'b2', payload: 5, priority: 5 }, { name: 'c1', payload: 6, priority: 9 }]);
      const got = recorder();
      const consumer = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1 });
      await waitFor(() => got.seen.length === 6, 'six deliveries');
      await consumer.stop();
      assert.deepEqual(got.names(), ['c1', 'b1', 'b2', 'a1', 'a2', 'a3']);
    }));

  void it('publishes a batch atomically: a bad message stores none of it', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('atomic');
      await rejectsWith(queue.publish(q, [{ name: 'ok', payload: 1 }, { name: 'ok', payload: 2 }, { name: 'bad', payload: { constructor: 1 } }]), 'CODEC_FORBIDDEN_KEY');
      await rejectsWith(queue.publish(q, [{ name: 'ok', payload: 1 }, { name: 'bad', payload: 2, priority: 12 }]), 'QUEUE_MESSAGE_INVALID');
      assert.equal((await queue.stats(q)).ready, 0);
      await queue.publish(q, [{ name: 'ok', payload: 1 }, { name: 'ok', payload: 2 }, { name: 'ok', payload: 3 }]);
      assert.equal((await queue.stats(q)).ready, 3);
    }));

  void it('ignores a publish whose id is still queued, but accepts it again once acked', (t) =>
    withHarness(harness, async ({ queue, capabilities }) => {
      if (capabilities?.dedupesQueuedIds === false) {
        t.diagnostic('adapter does not deduplicate queued ids (documented): both copies must arrive, with the same id');
        await bothCopiesArrive(queue);
        return;
      }
      const q = queueName('dedup');
      await queue.publish(q, { id: 'same', name: 'first', payload: 1 });
      await queue.publish(q, { id: 'same', name: 'second', payload: 2 });
      await queue.publish(q, [{ id: 'same', name: 'third', payload: 3 }, { id: 'other', name: 'other', payload: 4 }]);
      assert.equal((await queue.stats(q)).ready, 2);
      const got = recorder();
      const consumer = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1 });
      await waitFor(() => got.seen.length === 2, 'two deliveries');
      assert.deepEqual(got.names(), ['first', 'other']);
      await waitFor(async () => (await queue.stats(q)).inFlight === 0, 'the acks');
      await queue.publish(q, { id: 'same', name: 'again', payload: 5 });
      await waitFor(() => got.seen.length === 3, 'the republished id');
      assert.equal(got.seen[2]!.name, 'again');
      assert.equal(got.seen[2]!.attempt, 1);
      await consumer.stop();
    }));

  void it('rejects invalid queue names everywhere with QUEUE_NAME_INVALID', () =>
    withHarness(harness, async ({ queue }) => {
      for (const bad of ['', 'has space', 'a/b', 'x'.repeat(201), 'ünï']) {
        await rejectsWith(queue.publish(bad, { name: 'n', payload: 1 }), 'QUEUE_NAME_INVALID');
        await rejectsWith(queue.stats(bad), 'QUEUE_NAME_INVALID');
        await rejectsWith(queue.deadLetters(bad), 'QUEUE_NAME_INVALID');
        await rejectsWith(queue.request(bad, { name: 'n', payload: 1 }, { timeoutMs: 10 }), 'QUEUE_NAME_INVALID');
        assert.throws(() => queue.consume(bad, async () => undefined, { concurrency: 1 }), (e: unknown) => (e as { code?: string }).code === 'QUEUE_NAME_INVALID');
      }
      await queue.publish('Ok.name_with-all:chars', { name: 'n', payload: 1 });
    }));

  void it('carries bytes as bytes: aligned, a fresh copy on every delivery, kept in dead letters', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('bytes');
      const floats = Float32Array.of(1.5, -2, 1e30);
      const payload = { label: 'grid', values: new Uint8Array(floats.buffer), more: [Buffer.from('hi'), new Uint8Array(0)], n: 3 };
      await queue.publish(q, { id: 'b-1', name: 'bytes', payload, maxAttempts: 2 });
      const seen: Array<{ floats: number[]; aligned: boolean; rest: unknown[] }> = [];
      const consumer = queue.consume(q, async (d) => {
        const p = d.payload as { label: string; values: Uint8Array; more: Uint8Array[]; n: number };
        assert.ok(p.values instanceof Uint8Array && p.more[0] instanceof Uint8Array);
        seen.push({ floats: [...new Float32Array(p.values.slice().buffer)], aligned: p.values.byteOffset % 8 === 0, rest: [Buffer.from(p.more[0]!).toString(), p.more[1]!.length, p.label, p.n] });
        p.values.fill(0); // a handler that scribbles on its copy must not change the next delivery's
        throw new Error('again');
      }, { concurrency: 1 });
      await waitFor(async () => (await queue.stats(q)).deadLettered === 1, 'the dead letter');
      await consumer.stop();
      assert.deepEqual(seen, [1, 2].map(() => ({ floats: [...floats], aligned: true, rest: ['hi', 0, 'grid', 3] })), 'both deliveries whole and aligned (a Float32Array view needs no copy)');
      const [dead] = await queue.deadLetters(q);
      assert.deepEqual([...(dead!.payload as { values: Uint8Array }).values], [...new Uint8Array(floats.buffer)]);
      const answer = await (async () => {
        const server = queue.consume(q, async (d) => d.reply({ png: Buffer.from([137, 80, 78, 71]), of: d.payload }), { concurrency: 1 });
        try {
          return await queue.request(q, { name: 'draw', payload: new Uint8Array([1, 2, 3]) }, { timeoutMs: 5000 }) as { png: Uint8Array; of: Uint8Array };
        } finally {
          await server.stop();
        }
      })();
      assert.deepEqual([[...answer.png], [...answer.of]], [[137, 80, 78, 71], [1, 2, 3]]);
    }));

  void it('refuses payloads with no safe JSON form before storing anything', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('payload');
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await rejectsWith(queue.publish(q, { name: 'n', payload: JSON.parse('{"a":{"__proto__":{"admin":true}}}') }), 'CODEC_FORBIDDEN_KEY');
      await rejectsWith(queue.publish(q, { name: 'n', payload: () => 1 }), 'CODEC_INVALID_JSON');
      await rejectsWith(queue.publish(q, { name: 'n', payload: undefined }), 'CODEC_INVALID_JSON');
      await rejectsWith(queue.publish(q, { name: 'n', payload: 10n }), 'CODEC_INVALID_JSON');
      await rejectsWith(queue.publish(q, { name: 'n', payload: circular }), 'CODEC_TOO_DEEP');
      await rejectsWith(queue.publish(q, { name: 'n', payload: { $bytes: 0, data: new Uint8Array(1) } }), 'CODEC_FORBIDDEN_KEY');
      await rejectsWith(queue.publish(q, { name: 'n', payload: 1, headers: { n: 2 as unknown as string } }), 'QUEUE_MESSAGE_INVALID');
      await rejectsWith(queue.publish(q, { name: '', payload: 1 }), 'QUEUE_MESSAGE_INVALID');
      assert.deepEqual(await queue.stats(q), { ready: 0, delayed: 0, inFlight: 0, deadLettered: 0, redelivered: 0 });
    }));

  void it('counts ready, delayed, in-flight, dead-lettered and redelivered messages', () =>
    withHarness(harness, async ({ queue }) => {
      const q = queueName('stats');
      await queue.publish(q, [
        { id: 'held', name: 'n', payload: 1, priority: 9 },
        { id: 'dead', name: 'n', payload: 2, priority: 8 },
        { id: 'r1', name: 'n', payload: 3 },
        { id: 'r2', name: 'n', payload: 4 },
      ]);
      await queue.publish(q, { id: 'later', name: 'n', payload: 5, delayMs: 600_000 });
      const hold = gate();
      const seen: Delivery[] = [];
      const consumer = queue.consume(q, async (d) => {
        seen.push(d);
        if (d.id === 'dead') return d.nack({ requeue: false, reason: 'not wanted' });
        await hold.opened;
      }, { concurrency: 2 });
      await waitFor(async () => (await queue.stats(q)).deadLettered === 1, 'the dead letter');
      await waitFor(() => seen.length === 3, 'the third delivery');
      assert.deepEqual(await queue.stats(q), { ready: 1, delayed: 1, inFlight: 2, deadLettered: 1, redelivered: 0 });
      hold.open();
      await waitFor(async () => (await queue.stats(q)).inFlight === 0, 'the acks');
      await consumer.stop();
      assert.deepEqual(await queue.stats(q), { ready: 0, delayed: 1, inFlight: 0, deadLettered: 1, redelivered: 0 });
      await turns();
    }));
}

/** The dedup case for an adapter that does not dedupe: nothing is lost, and the copies share the id consumers dedupe on. */
async function bothCopiesArrive(queue: TaskQueue): Promise<void> {
  const q = queueName('no-dedup');
  await queue.publish(q, { id: 'same', name: 'first', payload: 1 });
  await queue.publish(q, { id: 'same', name: 'second', payload: 2 });
  const got = recorder();
  const consumer = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1 });
  await waitFor(() => got.seen.length === 2, 'both copies');
  await consumer.stop();
  assert.deepEqual(got.names(), ['first', 'second']);
  assert.deepEqual(got.seen.map((d) => d.id), ['same', 'same']);
  assert.deepEqual(got.attempts(), [1, 1]);
}
