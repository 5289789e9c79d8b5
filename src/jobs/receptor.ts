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
}

/** A notice on the control topic. */
export interface ControlNotice {
  type: 'cancel';
  processId: string;
  reason: string;
}

const CHECKPOINT = 'millrace.receptor';

export class Receptor {
  private checkpointVersion = 0;

  constructor(private readonly options: ReceptorOptions) {}

  /** The position to resume after. */
  async resumePosition(): Promise<number> {
    await this.options.log.createTopic(this.options.controlTopic, { partitions: 1 });
    const checkpoint = await this.options.checkpoints.load(CHECKPOINT);
    this.checkpointVersion = checkpoint?.version ?? 0;
    return checkpoint?.offsets.events ?? 0;
  }

  /** Publishes what a page of events asks for, then records the position. */
  async handle(events: StoredEvent[]): Promise<void> {
    const messages: OutgoingMessage[] = [];
    const notices: ControlNotice[] = [];
    const now = this.options.clock.now();
    for (const event of events) {
      if (event.type === 'TaskScheduled') messages.push(this.taskMessage((event.data as TaskScheduled['data']), now));
      else if (event.type === 'ProcessCancelled') {
        notices.push({ type: 'cancel', processId: processIdOf(event.streamId), reason: (event.data as { reason: string }).reason });
      }
    }
    if (messages.length > 0) await this.options.queue.publish(this.options.taskQueue, messages);
    if (notices.length > 0) await this.options.log.append(this.options.controlTopic, notices.map((value) => ({ key: value.processId, value })));
    await this.commit(events[events.length - 1]!.position);
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
