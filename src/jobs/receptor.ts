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
 * A task for the task queue is first offered to the workers of this process
 * that take tasks in-process (see workers/local-dispatch); what they leave
 * is published. The position checkpointed never passes a task handed over
 * that way until it is settled (its result stored, or its message
 * published after all), so a crash offers it again on restart, as it
 * would publish it again.
 *
 * The position is checkpointed after every page that published something
 * (or, past tasks handed over in-process, once they are settled), and
 * otherwise only every {@link CHECKPOINT_LAG_EVENTS} events and on stop.
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
import type { LocalTaskTarget, OfferedTask } from '../workers/local-dispatch.js';
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
  /** The last event that published or handed over something. */
  private dispatchedPosition = 0;
  private readonly localTargets: LocalTaskTarget[] = [];
  /**
   * Positions of tasks a local worker holds, not yet settled: the
   * checkpoint stays before the oldest, and a page read again after a
   * failed publish does not offer them twice.
   */
  private readonly held = new Set<number>();

  constructor(private readonly options: ReceptorOptions) {}

  /** Loads the checkpoint; returns the position to resume after. */
  async resumePosition(): Promise<number> {
    await this.options.log.createTopic(this.options.controlTopic, { partitions: 1 });
    const checkpoint = await this.options.checkpoints.load(CHECKPOINT);
    this.checkpointVersion = checkpoint?.version ?? 0;
    this.position = checkpoint?.offsets.events ?? 0;
    this.committedPosition = this.position;
    this.dispatchedPosition = this.position;
    this.held.clear();
    return this.position;
  }

  /** Offers task messages to `target` before publishing them, until the returned function detaches it. */
  attachLocal(target: LocalTaskTarget): () => void {
    this.localTargets.push(target);
    return () => {
      const at = this.localTargets.indexOf(target);
      if (at >= 0) this.localTargets.splice(at, 1);
    };
  }

  /** Publishes what the page's events after the resume position ask for, then records the position when it matters. */
  async handle(page: StoredEvent[]): Promise<void> {
    const events = page[0] !== undefined && page[0].position > this.position ? page : page.filter((event) => event.position > this.position);
    if (events.length === 0) return;
    const messages = new Map<string, OutgoingMessage[]>();
    const notices: ControlNotice[] = [];
    const offered: Array<{ position: number; task: OfferedTask }> = [];
    const local = this.localTargets.length > 0;
    const now = this.options.clock.now();
    for (const event of events) {
      if (event.type === 'TaskScheduled') {
        const scheduled = event.data as TaskScheduled['data'];
        const queue = this.queueFor(scheduled);
        if (local && queue === this.options.taskQueue) {
          if (!this.held.has(event.position)) offered.push({ position: event.position, task: this.offered(this.taskMessage(scheduled, now), event.position) });
          continue;
        }
        const batch = messages.get(queue);
        if (batch === undefined) messages.set(queue, [this.taskMessage(scheduled, now)]);
        else batch.push(this.taskMessage(scheduled, now));
      }
      else if (event.type === 'ProcessCancelled') {
        notices.push({ type: 'cancel', processId: processIdOf(event.streamId), reason: (event.data as { reason: string }).reason });
      }
    }
    const left = this.handOver(offered);
    if (left.length > 0) {
      const batch = messages.get(this.options.taskQueue) ?? [];
      messages.set(this.options.taskQueue, [...batch, ...left.map((task) => task.message)]);
    }
    // Published like any message from here: the position passes them once the publish is done.
    for (const [queue, batch] of messages) await this.options.queue.publish(queue, batch);
    if (notices.length > 0) await this.options.log.append(this.options.controlTopic, notices.map((value) => ({ key: value.processId, value })));
    this.position = events[events.length - 1]!.position;
    if (messages.size > 0 || notices.length > 0 || offered.length > 0) this.dispatchedPosition = this.position;
    const safe = this.safePosition();
    const behind = safe - this.committedPosition;
    if (behind > 0 && (this.dispatchedPosition > this.committedPosition || behind >= CHECKPOINT_LAG_EVENTS)) await this.commit(safe);
  }

  /** Checkpoints the position reached, if the last pages left it unrecorded (on stop). */
  async flush(): Promise<void> {
    const safe = this.safePosition();
    if (safe > this.committedPosition) await this.commit(safe);
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

  /** A task to offer in-process; once taken, its position is held until `settled` is called. */
  private offered(message: OutgoingMessage, position: number): OfferedTask {
    return { message, settled: () => this.held.delete(position) };
  }

  /** Offers the tasks to the local workers in turn and records those taken; returns what none took. */
  private handOver(offered: ReadonlyArray<{ position: number; task: OfferedTask }>): OfferedTask[] {
    if (offered.length === 0) return [];
    let left = offered.map((entry) => entry.task);
    for (const target of this.localTargets) {
      if (left.length === 0) break;
      left = target.offer(this.options.taskQueue, left);
    }
    // Taken tasks settle asynchronously (a run waits at least for a slot), so they are held before any settles.
    const notTaken = left.length === 0 ? undefined : new Set(left);
    for (const { position, task } of offered) if (!notTaken?.has(task)) this.held.add(position);
    return left;
  }

  /**
   * The position a restart may resume after: the one handled, or just
   * before the oldest task a local worker still holds. A scan of what is
   * held (at most the workers' backlogs) once a page: tasks settle out of
   * order, and a page read again may hold a task behind later ones.
   */
  private safePosition(): number {
    let oldest = Infinity;
    for (const position of this.held) if (position < oldest) oldest = position;
    return oldest === Infinity ? this.position : Math.min(this.position, oldest - 1);
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
