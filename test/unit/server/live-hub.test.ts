/** The live hub: follows the event store from its head, debounces progress per process, sends starts and ends at once, samples queues. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger } from '../../../src/core/logger.js';
import type { Orchestrator } from '../../../src/jobs/orchestrator.js';
import type { EventStore, StoredEvent } from '../../../src/ports/event-store.js';
import type { TaskQueue } from '../../../src/ports/task-queue.js';
import { LiveHub, headPosition, type LiveMessage } from '../../../src/server/routes/live-hub.js';

/** Just enough of an event store: readAll over an array whose positions may have gaps. */
function fakeStore(): EventStore & { add(streamId: string, type: string, data?: unknown, position?: number): void } {
  const events: StoredEvent[] = [];
  return {
    add(streamId, type, data = {}, position) {
      const last = events.at(-1)?.position ?? 0;
      events.push({ id: String(events.length), streamId, version: 1, position: position ?? last + 1, type, data, metadata: {}, recordedAt: 0 });
    },
    async readAll(options = {}) {
      return events.filter((e) => e.position > (options.afterPosition ?? 0)).slice(0, options.limit ?? 1000);
    },
    append: () => Promise.reject(new Error('not used')),
    read: () => Promise.reject(new Error('not used')),
    streamVersion: () => Promise.reject(new Error('not used')),
    close: async () => {},
  };
}

function setUp() {
  const clock = new ManualClock(1_000_000);
  const store = fakeStore();
  const status = new Map<string, string>();
  const reads: string[] = [];
  const index = { events: new EventEmitter() };
  const orchestrator = {
    index,
    get: async (processId: string) => {
      reads.push(processId);
      return { processId, definition: 'd', version: 1, status: status.get(processId) ?? 'running', startedAt: 0, steps: [] };
    },
  } as unknown as Orchestrator;
  const queue = { stats: async () => ({ ready: 2, delayed: 0, inFlight: 1, deadLettered: 0, redelivered: 0 }) } as unknown as TaskQueue;
  const hub = new LiveHub({ orchestrator, queue, queues: ['tasks'], events: store, clock, logger: createLogger({ level: 'silent' }), minIntervalMs: 250, sampleMs: 2000 });
  const received: Array<{ at: number; message: LiveMessage }> = [];
  const listen = (message: LiveMessage): void => void received.push({ at: clock.now(), message });
  return { clock, store, status, reads, index, hub, received, listen };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('headPosition', () => {
  it('finds the newest position with a few one-event reads, gaps or not', async () => {
    const empty = fakeStore();
    assert.equal(await headPosition(empty), 0);
    const one = fakeStore();
    one.add('s', 'A', {}, 5);
    assert.equal(await headPosition(one), 5);
    const gappy = fakeStore();
    for (const position of [3, 7, 8, 20, 21, 22, 40, 41, 90]) gappy.add('s', 'A', {}, position);
    assert.equal(await headPosition(gappy), 90);
    const dense = fakeStore();
    for (let i = 0; i < 5000; i++) dense.add('s', 'A');
    let reads = 0;
    const counting = { ...dense, readAll: (o?: { afterPosition?: number; limit?: number }) => (reads++, dense.readAll(o)) };
    assert.equal(await headPosition(counting), 5000);
    assert.ok(reads < 40, `${reads} reads for 5000 events`);
  });
});

describe('LiveHub', () => {
  it('sends nothing from before it started, and each process start and end at once', async () => {
    const { clock, store, status, hub, received, listen } = setUp();
    store.add('process-old', 'ProcessStarted');
    const unsubscribe = await hub.subscribe(listen);
    store.add('process-p', 'ProcessStarted');
    await clock.advance(250);
    await settle();
    assert.deepEqual(received.map((r) => [r.message.event, (r.message.data as { view: { processId: string } }).view.processId]), [['process', 'p']]);
    status.set('p', 'completed');
    store.add('process-p', 'ProcessCompleted');
    await clock.advance(250);
    await settle();
    assert.equal(received.length, 2);
    assert.equal((received[1]!.message.data as { view: { status: string } }).view.status, 'completed');
    unsubscribe();
    await hub.close();
  });

  it('sends one process\'s progress at most every 250 ms however many events arrive, with the failures among them', async () => {
    const { clock, store, reads, hub, received, listen } = setUp();
    const unsubscribe = await hub.subscribe(listen);
    for (let i = 0; i < 100; i++) {
      store.add('process-big', i % 10 === 0 ? 'TaskFailed' : 'TaskCompleted', { taskId: `big/s/${i}`, attempt: 1, failure: { type: 'Error', message: `no ${i}`, retryable: true }, failedAt: clock.now() });
      await clock.advance(10);
      await settle();
    }
    await clock.advance(500);
    await settle();
    const times = received.filter((r) => r.message.event === 'process').map((r) => r.at);
    assert.ok(times.length >= 3 && times.length <= 6, `${times.length} messages for 1000 ms of events`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 250, `gap ${times[i]! - times[i - 1]!} ms`);
    assert.equal(reads.length, times.length, 'the view is built once per message');
    const failures = received.flatMap((r) => (r.message.event === 'process' ? r.message.data.failures : []));
    assert.deepEqual(failures.map((f) => f.failure.message), Array.from({ length: 10 }, (_, i) => `no ${i * 10}`));
    unsubscribe();
    await hub.close();
  });

  it('samples queue depth with the task attempts ended in between, keeps recent samples, and stops with the last listener', async () => {
    const { clock, index, hub, received, listen } = setUp();
    const unsubscribe = await hub.subscribe(listen);
    index.events.emit('task', { outcome: 'completed' });
    index.events.emit('task', { outcome: 'completed' });
    index.events.emit('task', { outcome: 'failed' });
    await clock.advance(2000);
    await settle();
    const samples = received.filter((r) => r.message.event === 'queues').map((r) => r.message.data as { ended: unknown; queues: Array<{ name: string; ready: number }> });
    assert.equal(samples.length, 1);
    assert.deepEqual(samples[0]!.ended, { completed: 2, failed: 1 });
    assert.deepEqual(samples[0]!.queues.map((q) => [q.name, q.ready]), [['tasks', 2]]);
    assert.equal(hub.recentSamples().length, 1);
    unsubscribe();
    await settle();
    assert.equal(index.events.listenerCount('task'), 0);
    const before = received.length;
    await clock.advance(10_000);
    await settle();
    assert.equal(received.length, before, 'nothing is read or sent once nobody listens');
    await hub.close();
  });
});
