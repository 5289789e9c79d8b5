/**
 * Helpers for the TaskQueue contract suite: the harness type, waiting on real
 * event-loop turns (stores commit asynchronously), gates for handlers that
 * must hold a delivery, and moving time when the adapter runs on a manual clock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { ManualClock } from '../../../src/core/clock.js';
import type { Delivery, TaskQueue } from '../../../src/ports/task-queue.js';

/** What an adapter's test file hands the suite, fresh for every test. */
export interface TaskQueueHarness {
  queue: TaskQueue;
  /** The queue's clock, when the adapter runs on one; time-based cases skip without it. */
  clock?: ManualClock;
  /** Durable adapters: closes the queue and opens a new one on the same storage. */
  reopen?: () => Promise<TaskQueue>;
  /** Closes whatever queue is current and removes its storage. */
  cleanup: () => Promise<void>;
  /**
   * Where an adapter departs from the full contract, each departure
   * documented by the adapter. Absent means the full contract: the flags
   * change what a case asserts for the adapter that declares them, never for
   * the others.
   */
  capabilities?: TaskQueueCapabilities;
}

/** See {@link TaskQueueHarness.capabilities}. */
export interface TaskQueueCapabilities {
  /**
   * False when publishing an id that is still queued stores a second copy
   * (RabbitMQ: no dedup without a plugin). The dedup case then asserts that
   * both copies arrive with the same id, which consumers dedupe on.
   * @defaultValue true
   */
  dedupesQueuedIds?: boolean;
  /**
   * False when delays are timed by a server's clock rather than the
   * harness's `clock` (RabbitMQ: message TTLs). The delay cases then use
   * short real delays and check real elapsed time instead of advancing the clock.
   * @defaultValue true
   */
  delaysFollowClock?: boolean;
}

/** Makes a fresh harness; called once per case. */
export type HarnessFactory = () => Promise<TaskQueueHarness>;

/** Runs `body` against a fresh harness and always cleans up. */
export async function withHarness(factory: HarnessFactory, body: (h: TaskQueueHarness) => Promise<void>): Promise<void> {
  const harness = await factory();
  try {
    await body(harness);
  } finally {
    await harness.cleanup();
  }
}

/** Like {@link withHarness}, but skips the test when the adapter has no manual clock. */
export async function withClock(t: TestContext, factory: HarnessFactory, body: (h: TaskQueueHarness, clock: ManualClock) => Promise<void>): Promise<void> {
  await withHarness(factory, async (h) => {
    if (h.clock === undefined) {
      t.skip('adapter runs on real time');
      return;
    }
    await body(h, h.clock);
  });
}

/** A queue name no other test uses (adapters backed by a shared server need this). */
export function queueName(label: string): string {
  return `contract.${label}.${randomUUID().slice(0, 8)}`;
}

/** Lets the event loop run: commits, wake-ups and handlers. */
export async function turns(count = 10): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Waits (in real time, briefly) until `condition` holds. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

/** Moves the manual clock and lets the work it triggered commit. */
export async function advance(clock: ManualClock, ms: number): Promise<void> {
  await clock.advance(ms);
  await turns();
}

/** A promise a test opens when it chooses. */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

/** A closed {@link Gate}. */
export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Asserts that a promise rejects with an engine error carrying `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, `expected ${code}, got ${String(error)}`);
    return true;
  });
}

/** Records deliveries for later assertions. */
export function recorder(): { seen: Delivery[]; attempts: () => number[]; names: () => string[] } {
  const seen: Delivery[] = [];
  return { seen, attempts: () => seen.map((d) => d.attempt), names: () => seen.map((d) => d.name) };
}
