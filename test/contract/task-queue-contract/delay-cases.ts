/**
 * Contract cases: delays, on nack and on publish. Adapters whose delays
 * follow the harness clock move it; adapters whose delays are kept by a
 * server in real time (`capabilities.delaysFollowClock === false`) get short
 * real delays, and the same promise is checked on elapsed time: never
 * delivered before the delay, delivered soon after it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TestContext } from 'node:test';
import type { ManualClock } from '../../../src/core/clock.js';
import type { TaskQueue } from '../../../src/ports/task-queue.js';
import type { HarnessFactory } from './support.js';
import { advance, queueName, recorder, waitFor, withHarness } from './support.js';

/** A real delay long enough to watch the message sit in the delayed count. */
const REAL_DELAY_MS = 1000;
/** How late a real delay may be on a loaded machine. */
const REAL_DELAY_SLACK_MS = 5000;

/** Registers the delay cases (called from the settlement group). */
export function delayCases(harness: HarnessFactory): void {
  void it('holds a nacked message back for delayMs', (t) =>
    withDelays(t, harness, async (queue, clock) => {
      const q = queueName('delay');
      await queue.publish(q, { name: 'n', payload: 1 });
      const got = recorder();
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        if (d.attempt === 1) await d.nack({ delayMs: 5000 });
      }, { concurrency: 1 });
      await waitFor(async () => (await queue.stats(q)).delayed === 1, 'the delayed message');
      await advance(clock, 4000);
      assert.deepEqual(got.attempts(), [1]);
      await advance(clock, 1500);
      await waitFor(() => got.seen.length === 2, 'the delayed redelivery');
      assert.deepEqual(got.attempts(), [1, 2]);
      await consumer.stop();
    }, async (queue) => {
      const q = queueName('delay');
      await queue.publish(q, { name: 'n', payload: 1 });
      const got = recorder();
      const at: number[] = [];
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        if (d.attempt === 1) {
          at.push(Date.now());
          await d.nack({ delayMs: REAL_DELAY_MS });
        } else at.push(Date.now());
      }, { concurrency: 1 });
      await waitFor(async () => (await queue.stats(q)).delayed === 1, 'the delayed message');
      await waitFor(() => got.seen.length === 2, 'the delayed redelivery', REAL_DELAY_MS + REAL_DELAY_SLACK_MS);
      await consumer.stop();
      assert.deepEqual(got.attempts(), [1, 2]);
      const waited = at[1]! - at[0]!;
      assert.ok(waited >= REAL_DELAY_MS, `redelivered ${waited} ms after the nack, before its ${REAL_DELAY_MS} ms delay`);
    }));

  void it('holds a message published with delayMs back until it is due', (t) =>
    withDelays(t, harness, async (queue, clock) => {
      const q = queueName('publish-delay');
      await queue.publish(q, [{ name: 'later', payload: 1, delayMs: 2000 }, { name: 'now', payload: 2 }]);
      const got = recorder();
      const consumer = queue.consume(q, async (d) => void got.seen.push(d), { concurrency: 1 });
      await waitFor(() => got.seen.length === 1, 'the undelayed message');
      await advance(clock, 1000);
      assert.deepEqual(got.names(), ['now']);
      await advance(clock, 1100);
      await waitFor(() => got.seen.length === 2, 'the delayed message');
      await consumer.stop();
    }, async (queue) => {
      const q = queueName('publish-delay');
      const publishedAt = Date.now();
      await queue.publish(q, [{ name: 'later', payload: 1, delayMs: REAL_DELAY_MS }, { name: 'now', payload: 2 }]);
      const got = recorder();
      const at: number[] = [];
      const consumer = queue.consume(q, async (d) => {
        got.seen.push(d);
        at.push(Date.now());
      }, { concurrency: 1 });
      await waitFor(() => got.seen.length === 1, 'the undelayed message');
      assert.deepEqual(got.names(), ['now']);
      assert.equal((await queue.stats(q)).delayed, 1);
      await waitFor(() => got.seen.length === 2, 'the delayed message', REAL_DELAY_MS + REAL_DELAY_SLACK_MS);
      await consumer.stop();
      const waited = at[1]! - publishedAt;
      assert.ok(waited >= REAL_DELAY_MS, `delivered ${waited} ms after publish, before its ${REAL_DELAY_MS} ms delay`);
    }));
}

/** Runs the clocked body, or the real-time one for adapters whose delays a server keeps; skips adapters with neither. */
async function withDelays(
  t: TestContext,
  factory: HarnessFactory,
  clocked: (queue: TaskQueue, clock: ManualClock) => Promise<void>,
  realTime: (queue: TaskQueue) => Promise<void>,
): Promise<void> {
  await withHarness(factory, async (h) => {
    if (h.capabilities?.delaysFollowClock === false) {
      t.diagnostic('delays are kept by the server in real time (documented): checking elapsed time');
      await realTime(h.queue);
    } else if (h.clock === undefined) {
      t.skip('adapter runs on real time');
    } else {
      await clocked(h.queue, h.clock);
    }
  });
}
