/**
 * @module jobs/process-index
 * An in-memory view over all process histories: one summary per process
 * (for listing and waiting) and the deadlines of running tasks (for the
 * timeout manager). Rebuilt from the start of the event store when the
 * orchestrator starts; after that it follows new events. (A persisted
 * projection would make start-up independent of history length; that is
 * future work, noted in docs/jobs.md.)
 */
import { EventEmitter } from 'node:events';
import type { StoredEvent } from '../ports/event-store.js';
import type { ProcessStarted, TaskScheduled } from './process-events.js';
import { processIdOf } from './receptor.js';
import type { ProcessStatus } from './process-state.js';

export interface ProcessSummary {
  processId: string;
  definition: string;
  version: number;
  status: ProcessStatus;
  startedAt: number;
  finishedAt?: number;
  /** Reason of a failure or cancellation. */
  reason?: string;
}

export interface Deadline {
  processId: string;
  taskId: string;
  attempt: number;
  deadlineAt: number;
}

/** A task attempt that ended, as the index saw it go by (`events.on('task', …)`): for metrics. */
export interface TaskEnded {
  definition: string;
  step: string;
  outcome: 'completed' | 'failed' | 'timed_out';
  /** Run time reported by the worker, when it reported one. */
  durationMs: number | undefined;
  /** The worker's tags joined with `,`, or `untagged` (also for a deadline passed with no worker's word). */
  tag: string;
}

const TASK_OUTCOMES: Record<string, TaskEnded['outcome']> = { TaskCompleted: 'completed', TaskFailed: 'failed', TaskTimedOut: 'timed_out' };
const TERMINAL: Record<string, ProcessStatus> = { ProcessCompleted: 'completed', ProcessFailed: 'failed', ProcessCancelled: 'cancelled' };

export class ProcessIndex {
  private readonly summaries = new Map<string, ProcessSummary>();
  private readonly deadlines = new Map<string, Deadline>();
  private position = 0;
  /** Emits `finished` with a summary when a process ends. */
  readonly events = new EventEmitter();

  /** Applies events in position order; those at or before the last one applied are skipped, so a page read again is harmless. */
  apply(events: readonly StoredEvent[]): void {
    for (const event of events) {
      if (event.position <= this.position) continue;
      this.applyOne(event);
      this.position = event.position;
    }
  }

  get(processId: string): ProcessSummary | undefined {
    return this.summaries.get(processId);
  }

  /** How many processes the index knows in each status. */
  countByStatus(): Record<ProcessStatus, number> {
    const counts: Record<ProcessStatus, number> = { running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const summary of this.summaries.values()) counts[summary.status]++;
    return counts;
  }

  /** Newest first. */
  list(filter: { status?: ProcessStatus; definition?: string; limit?: number } = {}): ProcessSummary[] {
    const matches = [...this.summaries.values()].filter((s) => (filter.status === undefined || s.status === filter.status) && (filter.definition === undefined || s.definition === filter.definition));
    return matches.sort((a, b) => b.startedAt - a.startedAt).slice(0, filter.limit ?? 100);
  }

  /** Running tasks whose deadline is at or before `now`. */
  overdue(now: number): Deadline[] {
    return [...this.deadlines.values()].filter((d) => d.deadlineAt <= now);
  }

  private applyOne(event: StoredEvent): void {
    const processId = processIdOf(event.streamId);
    if (event.type === 'ProcessStarted') {
      const data = event.data as ProcessStarted['data'];
      this.summaries.set(processId, { processId, definition: data.definition, version: data.version, status: 'running', startedAt: data.startedAt });
      return;
    }
    if (event.type === 'TaskScheduled') {
      const data = event.data as TaskScheduled['data'];
      if (data.deadlineAt !== undefined) this.deadlines.set(data.taskId, { processId, taskId: data.taskId, attempt: data.attempt, deadlineAt: data.deadlineAt });
      else this.deadlines.delete(data.taskId);
      return;
    }
    if (event.type === 'TaskCompleted' || event.type === 'TaskFailed' || event.type === 'TaskTimedOut') {
      const { taskId, attempt, durationMs, tag } = event.data as { taskId: string; attempt: number; durationMs?: number; tag?: string };
      if (this.deadlines.get(taskId)?.attempt === attempt) this.deadlines.delete(taskId);
      if (this.events.listenerCount('task') > 0) {
        const ended: TaskEnded = { definition: this.summaries.get(processId)?.definition ?? 'unknown', step: taskId.split('/')[1] ?? 'unknown', outcome: TASK_OUTCOMES[event.type]!, durationMs, tag: tag ?? 'untagged' };
        this.events.emit('task', ended);
      }
      return;
    }
    if (event.type === 'ProcessResumed') {
      const summary = this.summaries.get(processId);
      if (summary === undefined) return;
      summary.status = 'running';
      delete summary.finishedAt;
      delete summary.reason;
      return;
    }
    const status = TERMINAL[event.type];
    if (status === undefined) return;
    const summary = this.summaries.get(processId);
    if (summary === undefined) return;
    summary.status = status;
    const data = event.data as { completedAt?: number; failedAt?: number; cancelledAt?: number; reason?: string };
    summary.finishedAt = data.completedAt ?? data.failedAt ?? data.cancelledAt;
    if (data.reason !== undefined) summary.reason = data.reason;
    for (const [taskId, deadline] of this.deadlines) if (deadline.processId === processId) this.deadlines.delete(taskId);
    this.events.emit('finished', summary);
  }
}
