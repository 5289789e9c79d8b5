/**
 * @module server/routes/live-hub
 * What `/api/live` sends, gathered once per server and fanned out to every
 * connected dashboard.
 *
 * ```
 *  EventStore.readAll ─▶ EventFeed (from the head, only while someone watches)
 *        │  ProcessStarted, Process{Completed,Failed,Cancelled} ─▶ view now
 *        │  Step*, Task*                                         ─▶ view, debounced per process
 *        ▼
 *  orchestrator.get(id) ─▶ `process` { view, failures } ─┐
 *  queue.stats every sampleMs + tasks ended (index) ─▶ `queues` ─┴▶ every client
 * ```
 *
 * The hub follows the event store itself rather than the orchestrator's
 * index, because the index says which processes finished but not which one
 * a task belonged to. Its own feed starts at the store's head when the
 * first client connects and stops with the last, so a server nobody watches
 * pays nothing, and history is never re-read. Progress of one process is
 * sent at most every `minIntervalMs`, or four times as long as building its
 * view took, whichever is longer: a 10,000-task fan-out cannot spend the
 * server's time describing itself. Starts and ends are sent at once.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { messageOf } from '../../core/errors.js';
import type { TaskFailure } from '../../core/failure.js';
import type { Logger } from '../../core/logger.js';
import { EventFeed } from '../../jobs/event-feed.js';
import type { Orchestrator } from '../../jobs/orchestrator.js';
import type { TaskEnded } from '../../jobs/process-index.js';
import type { ProcessView } from '../../jobs/process-view.js';
import type { EventStore, StoredEvent } from '../../ports/event-store.js';
import type { QueueStats, TaskQueue } from '../../ports/task-queue.js';

/** One failed task attempt, as the live stream reports it. */
export interface LiveFailure {
  taskId: string;
  step: string;
  attempt: number;
  failure: TaskFailure;
  at: number;
}

/** One reading of the queues, and the task attempts that ended since the last. */
export interface QueueSample {
  at: number;
  queues: Array<{ name: string } & QueueStats>;
  ended: { completed: number; failed: number };
  intervalMs: number;
}

/** A message to every client: an SSE `event` name and its JSON `data`. */
export type LiveMessage =
  | { event: 'process'; data: { view: ProcessView; failures: LiveFailure[] } }
  | { event: 'queues'; data: QueueSample };

export interface LiveHubOptions {
  orchestrator: Orchestrator;
  queue: TaskQueue;
  queues: readonly string[];
  events: EventStore;
  clock: Clock;
  logger: Logger;
  /** Shortest gap between two progress messages of one process. @defaultValue 250 ms */
  minIntervalMs?: number;
  /** How often queue depth is read. @defaultValue 2000 ms */
  sampleMs?: number;
  /** Queue samples kept for a client that connects later. @defaultValue 180 */
  keepSamples?: number;
}

const STEP_OR_TASK = /^(Step|Task)/;
const TERMINAL = new Set(['ProcessCompleted', 'ProcessFailed', 'ProcessCancelled']);
/** Failures carried by one message at most; the history has them all. */
const MAX_FAILURES = 20;

interface Pending {
  timer: Timer | undefined;
  busy: boolean;
  again: boolean;
  urgent: boolean;
  lastSentAt: number;
  costMs: number;
  failures: LiveFailure[];
}

export class LiveHub {
  private readonly listeners = new Set<(message: LiveMessage) => void>();
  private readonly pending = new Map<string, Pending>();
  private readonly samples: QueueSample[] = [];
  private feed: EventFeed | undefined;
  private starting: Promise<void> | undefined;
  private sampler: Timer | undefined;
  private ended = { completed: 0, failed: 0 };
  private lastSampleAt = 0;
  private closed = false;
  private readonly onTask = (task: TaskEnded): void => {
    if (task.outcome === 'completed') this.ended.completed++;
    else this.ended.failed++;
  };

  constructor(private readonly options: LiveHubOptions) {}

  /** The queue samples of the last `keepSamples × sampleMs`, oldest first (older ones predate a pause with nobody watching). */
  recentSamples(): QueueSample[] {
    const since = this.options.clock.now() - (this.options.keepSamples ?? 180) * (this.options.sampleMs ?? 2000);
    return this.samples.filter((sample) => sample.at >= since);
  }

  /** Adds a listener; the hub runs while it has one. Resolves once following. */
  async subscribe(listener: (message: LiveMessage) => void): Promise<() => void> {
    this.listeners.add(listener);
    if (this.feed === undefined && this.starting === undefined) this.starting = this.start().finally(() => (this.starting = undefined));
    try {
      await this.starting;
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /** Stops following and forgets every listener (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.starting;
    await this.stop();
  }

  private async start(): Promise<void> {
    if (this.closed) return;
    const { events, clock, logger } = this.options;
    const head = await headPosition(events);
    if (this.closed || this.listeners.size === 0) return;
    const feed = new EventFeed({ events, clock, logger, name: 'live', handle: (page) => this.handle(page), pollIntervalMs: this.options.minIntervalMs ?? 250 });
    this.feed = feed;
    await feed.start(head);
    if (this.feed !== feed) return; // everyone left while it started
    this.options.orchestrator.index.events.on('task', this.onTask);
    this.lastSampleAt = clock.now();
    this.scheduleSample();
  }

  private async stop(): Promise<void> {
    const feed = this.feed;
    if (feed === undefined || this.listeners.size > 0) return;
    this.feed = undefined;
    this.sampler?.cancel();
    this.sampler = undefined;
    this.options.orchestrator.index.events.off('task', this.onTask);
    for (const pending of this.pending.values()) pending.timer?.cancel();
    this.pending.clear();
    await feed.stop();
  }

  private handle(page: readonly StoredEvent[]): void {
    for (const event of page) {
      if (!event.streamId.startsWith('process-')) continue;
      const processId = event.streamId.slice('process-'.length);
      const urgent = event.type === 'ProcessStarted' || event.type === 'ProcessResumed' || TERMINAL.has(event.type);
      if (!urgent && !STEP_OR_TASK.test(event.type)) continue;
      this.touch(processId, urgent, failureOf(event));
    }
  }

  private touch(processId: string, urgent: boolean, failure?: LiveFailure): void {
    let pending = this.pending.get(processId);
    if (pending === undefined) {
      pending = { timer: undefined, busy: false, again: false, urgent: false, lastSentAt: 0, costMs: 0, failures: [] };
      this.pending.set(processId, pending);
    }
    if (failure !== undefined && pending.failures.length < MAX_FAILURES) pending.failures.push(failure);
    if (pending.busy) {
      pending.again = true;
      pending.urgent ||= urgent;
      return;
    }
    if (urgent) {
      pending.timer?.cancel();
      pending.timer = undefined;
      void this.flush(processId, pending);
      return;
    }
    if (pending.timer !== undefined) return;
    const interval = Math.max(this.options.minIntervalMs ?? 250, 4 * pending.costMs);
    const wait = Math.max(0, pending.lastSentAt + interval - this.options.clock.now());
    pending.timer = this.options.clock.setTimer(() => {
      pending.timer = undefined;
      void this.flush(processId, pending);
    }, wait);
  }

  private async flush(processId: string, pending: Pending): Promise<void> {
    pending.busy = true;
    const failures = pending.failures.splice(0);
    const began = this.options.clock.now();
    let view: ProcessView | undefined;
    try {
      view = await this.options.orchestrator.get(processId);
      this.broadcast({ event: 'process', data: { view, failures } });
    } catch (error) {
      this.options.logger.warn({ processId, error: messageOf(error) }, 'live: could not read a process');
    }
    pending.lastSentAt = this.options.clock.now();
    pending.costMs = pending.lastSentAt - began;
    pending.busy = false;
    if (this.feed === undefined) return;
    if (pending.again) {
      const urgent = pending.urgent;
      pending.again = false;
      pending.urgent = false;
      this.touch(processId, urgent);
    } else if (view !== undefined && view.status !== 'running' && pending.timer === undefined) {
      this.pending.delete(processId);
    }
  }

  private scheduleSample(): void {
    this.sampler = this.options.clock.setTimer(() => void this.sample(), this.options.sampleMs ?? 2000);
  }

  private async sample(): Promise<void> {
    if (this.feed === undefined) return;
    try {
      const queues = await Promise.all(this.options.queues.map(async (name) => ({ name, ...(await this.options.queue.stats(name)) })));
      const at = this.options.clock.now();
      const sample: QueueSample = { at, queues, ended: this.ended, intervalMs: at - this.lastSampleAt };
      this.ended = { completed: 0, failed: 0 };
      this.lastSampleAt = at;
      this.samples.push(sample);
      if (this.samples.length > (this.options.keepSamples ?? 180)) this.samples.shift();
      this.broadcast({ event: 'queues', data: sample });
    } catch (error) {
      this.options.logger.warn({ error: messageOf(error) }, 'live: could not read queue depth');
    }
    if (this.feed !== undefined) this.scheduleSample();
  }

  private broadcast(message: LiveMessage): void {
    for (const listener of this.listeners) listener(message);
  }
}

function failureOf(event: StoredEvent): LiveFailure | undefined {
  const data = event.data as { taskId?: string; attempt?: number; failure?: TaskFailure; failedAt?: number; timedOutAt?: number; by?: string };
  if (event.type !== 'TaskFailed' && event.type !== 'TaskTimedOut') return undefined;
  if (typeof data.taskId !== 'string' || typeof data.attempt !== 'number') return undefined;
  const failure = event.type === 'TaskFailed' && data.failure !== undefined
    ? data.failure
    : { type: 'TASK_TIMEOUT', message: `attempt ${data.attempt} timed out (${data.by ?? 'deadline'})`, retryable: true };
  return { taskId: data.taskId, step: data.taskId.split('/')[1] ?? '', attempt: data.attempt, failure, at: data.failedAt ?? data.timedOutAt ?? event.recordedAt };
}

/**
 * The position of the newest stored event, found with O(log n) one-event
 * reads: "is there an event after p" is monotone in p even though positions
 * may have gaps, so it can be bisected. The port has no "head" call, and
 * reading the whole history to find its end is what this avoids.
 */
export async function headPosition(events: EventStore): Promise<number> {
  const after = async (position: number): Promise<number | undefined> => (await events.readAll({ afterPosition: position, limit: 1 }))[0]?.position;
  let low = await after(0);
  if (low === undefined) return 0;
  // `low` is stored, so low ≤ head. Double a step until nothing lies after low + step.
  let high: number;
  for (let step = 1; ; step *= 2) {
    const next = await after(low + step);
    if (next === undefined) {
      high = low + step;
      break;
    }
    low = next;
  }
  // low ≤ head ≤ high, with low stored and nothing after high.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const next = await after(middle);
    if (next === undefined) high = middle;
    else low = next;
  }
  return (await after(low)) === undefined ? low : high;
}
