/**
 * @module jobs/receptor
 * Turns recorded decisions into messages: each `TaskScheduled` becomes a
 * task message on the work queue, each `ProcessCancelled` a cancel notice on
 * the control topic that workers follow (so running tasks get their abort
 * signal).
 *
 * The receptor follows the event store, not the process manager's return
 * values: a crash between storing events and publishing them loses nothing,
 * because on restart it resumes from its checkpointed position. It may then
 * publish a message again; a duplicate of a still-queued message is dropped
 * by its id (`<taskId>#<attempt>`), and a duplicate result is dropped by the
 * process (`duplicate`).
 *
 * The position is checkpointed after every page that published something,
 * and otherwise only every {@link CHECKPOINT_LAG_EVENTS} events and on stop.
 * A page that published nothing has nothing to lose: read again after a
 * crash, it publishes nothing again. Most pages are like that (a fan-out's
 * completions far outnumber its schedulings), and a checkpoint is a durable
 * commit of its own: writing one per page cost one fsync per process-manager
 * append, 7 % of a 10,000-task fan-out's time (`npm run bench -- dag`).
 */
import type { Clock } from '../core/clock.js';
import { hasCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { StoredEvent } from '../ports/event-store.js';
import type { Log } from '../ports/log.js';
import type { OutgoingMessage, TaskQueue } from '../ports/task-queue.js';
import type { TaskPayload } from '../workers/task-message.js';
import type { TaskScheduled } from './process-events.js';
import { routeTask, tagQueue, type TaskRoute } from './task-routing.js';

export interface ReceptorOptions {
  queue: TaskQueue;
  log: Log;
  checkpoints: CheckpointStore;
  clock: Clock;
  logger: Logger;
  /** Queue task messages go to. */
  taskQueue: string;
  /** Queue workers send results to. */
  resultQueue: string;
  /** Topic of cancel notices. */
  controlTopic: string;
  /** Shares of task types sent to tagged workers' queues. @defaultValue none */
  routes?: readonly TaskRoute[];
}

/** A notice on the control topic. */
export interface ControlNotice {
  type: 'cancel';
  processId: string;
  reason: string;
}

const CHECKPOINT = 'millrace.receptor';

/** Events handled without publishing anything before the position is checkpointed anyway: bounds what a restart reads again. */
export const CHECKPOINT_LAG_EVENTS = 10_000;

export class Receptor {
  private checkpointVersion = 0;
  /** Last event handled; events at or before it are skipped (the feed may start earlier, for the index). */
  private position = 0;
  private committedPosition = 0;

  constructor(private readonly options: ReceptorOptions) {}

  /** Loads the checkpoint; returns the position to resume after. */
  async resumePosition(): Promise<number> {
    await this.options.log.createTopic(this.options.controlTopic, { partitions: 1 });
    const checkpoint = await this.options.checkpoints.load(CHECKPOINT);
    this.checkpointVersion = checkpoint?.version ?? 0;
    this.position = checkpoint?.offsets.events ?? 0;
    this.committedPosition = this.position;
    return this.position;
  }

  /** Publishes what the page's events after the resume position ask for, then records the position when it matters. */
  async handle(page: StoredEvent[]): Promise<void> {
    const events = page[0] !== undefined && page[0].position > this.position ? page : page.filter((event) => event.position > this.position);
    if (events.length === 0) return;
    const messages = new Map<string, OutgoingMessage[]>();
    const notices: ControlNotice[] = [];
    const now = this.options.clock.now();
    for (const event of events) {
      if (event.type === 'TaskScheduled') {
        const scheduled = event.data as TaskScheduled['data'];
        const queue = this.queueFor(scheduled);
        const batch = messages.get(queue);
        if (batch === undefined) messages.set(queue, [this.taskMessage(scheduled, now)]);
        else batch.push(this.taskMessage(scheduled, now));
      }
      else if (event.type === 'ProcessCancelled') {
        notices.push({ type: 'cancel', processId: processIdOf(event.streamId), reason: (event.data as { reason: string }).reason });
      }
    }
    for (const [queue, batch] of messages) await this.options.queue.publish(queue, batch);
    if (notices.length > 0) await this.options.log.append(this.options.controlTopic, notices.map((value) => ({ key: value.processId, value })));
    this.position = events[events.length - 1]!.position;
    const published = messages.size > 0 || notices.length > 0;
    if (published || this.position - this.committedPosition >= CHECKPOINT_LAG_EVENTS) await this.commit(this.position);
  }

  /** Checkpoints the position reached, if the last pages left it unrecorded (on stop). */
  async flush(): Promise<void> {
    if (this.position > this.committedPosition) await this.commit(this.position);
  }

  /** Routes may change live (a dial): each message is routed by the rules of the moment it is published. */
  setRoutes(routes: readonly TaskRoute[]): void {
    this.options.routes = routes;
  }

  /** The queues task messages go to now: the task queue and one per routed tag. */
  taskQueues(): string[] {
    const tags = new Set((this.options.routes ?? []).map((route) => route.tag));
    return [this.options.taskQueue, ...[...tags].map((tag) => tagQueue(this.options.taskQueue, tag))];
  }

  private queueFor(scheduled: TaskScheduled['data']): string {
    const routes = this.options.routes;
    if (routes === undefined || routes.length === 0) return this.options.taskQueue;
    const tag = routeTask(scheduled.task, scheduled.taskId, routes);
    return tag === undefined ? this.options.taskQueue : tagQueue(this.options.taskQueue, tag);
  }

  private taskMessage(scheduled: TaskScheduled['data'], now: number): OutgoingMessage {
    const payload: TaskPayload = {
      taskId: scheduled.taskId,
      input: scheduled.input,
      resultQueue: this.options.resultQueue,
      timeoutMs: scheduled.timeoutMs,
      attempt: scheduled.attempt,
    };
    return {
      id: `${scheduled.taskId}#${scheduled.attempt}`,
      name: scheduled.task,
      payload,
      delayMs: Math.max(0, scheduled.notBefore - now),
      // Redeliveries after a worker crash; the process decides retries after failures.
      maxAttempts: 10,
    };
  }

  private async commit(position: number): Promise<void> {
    try {
      this.checkpointVersion = await this.options.checkpoints.commit(CHECKPOINT, { state: new Uint8Array(0), offsets: { events: position }, expectedVersion: this.checkpointVersion });
      this.committedPosition = position;
    } catch (error) {
      if (!hasCode(error, 'CHECKPOINT_CONFLICT')) throw error;
      // Another orchestrator moved it: take its version, keep ours (both published; duplicates are dropped downstream).
      const current = await this.options.checkpoints.load(CHECKPOINT);
      this.checkpointVersion = current?.version ?? 0;
      this.options.logger.warn({ position }, 'another orchestrator also publishes task messages; duplicates will be dropped by id');
    }
  }
}

/** `process-<id>` → `<id>`. */
export function processIdOf(streamId: string): string {
  return streamId.startsWith('process-') ? streamId.slice('process-'.length) : streamId;
}
