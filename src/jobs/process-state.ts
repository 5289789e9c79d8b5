/**
 * @module jobs/process-state
 * A process's state is a left fold of its events. `evolve` is pure: no
 * clock, no I/O, no randomness, and no user code; replaying the same events
 * always yields the same state.
 *
 * Task lifecycle:
 *
 * ```
 *  TaskScheduled(a) ──▶ running(a) ──TaskCompleted(a)──▶ completed
 *                           │ TaskFailed(a) / TaskTimedOut(a)
 *                           ▼
 *                        failed(a) ──TaskRetried(a+1)──▶ (TaskScheduled(a+1)) running(a+1)
 * ```
 *
 * Process lifecycle: running ──▶ completed | failed | cancelled, all final
 * but one way back: a process failed by a task is running again after
 * `ProcessResumed` (a `RetryTask` of that task), with its failure cleared.
 */
import { MillraceError } from '../core/errors.js';
import type { TaskFailure } from '../core/failure.js';
import type { ProcessEvent } from './process-events.js';

export type ProcessStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type TaskStatus = 'running' | 'failed' | 'completed';
export type StepStatus = 'pending' | 'running' | 'completed' | 'skipped';

export interface TaskState {
  taskId: string;
  step: string;
  index: number;
  task: string;
  attempt: number;
  status: TaskStatus;
  input: unknown;
  output?: unknown;
  failure?: TaskFailure;
  timeoutMs: number;
  notBefore: number;
  deadlineAt?: number;
  scheduledAt: number;
  finishedAt?: number;
}

export interface StepState {
  name: string;
  status: StepStatus;
  /** Tasks the step fanned out to (known once started). */
  tasks: number;
  completed: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface ProcessState {
  processId: string;
  definition: string;
  version: number;
  input: unknown;
  status: ProcessStatus;
  /** Stream version: the number of events folded. */
  eventVersion: number;
  steps: Map<string, StepState>;
  tasks: Map<string, TaskState>;
  output?: unknown;
  failure?: { reason: string; step?: string; taskId?: string; failure?: TaskFailure };
  cancelReason?: string;
  startedAt: number;
  finishedAt?: number;
}

/** Folds events into a state; `undefined` before `ProcessStarted`. */
export function foldProcess(events: readonly ProcessEvent[], initial?: ProcessState): ProcessState | undefined {
  let state = initial;
  for (const event of events) state = evolve(state, event);
  return state;
}

/** Applies one event. Mutates and returns `state` (folds run in a hot loop on large batches). */
export function evolve(state: ProcessState | undefined, event: ProcessEvent): ProcessState {
  if (event.type === 'ProcessStarted') {
    if (state !== undefined) throw corrupt('a second ProcessStarted', state.processId);
    const d = event.data;
    return { processId: d.processId, definition: d.definition, version: d.version, input: d.input, status: 'running', eventVersion: 1, steps: new Map(), tasks: new Map(), startedAt: d.startedAt };
  }
  if (state === undefined) throw corrupt(`${event.type} before ProcessStarted`, '?');
  state.eventVersion++;
  switch (event.type) {
    case 'StepStarted': {
      const d = event.data;
      state.steps.set(d.step, { name: d.step, status: d.tasks === 0 ? 'completed' : 'running', tasks: d.tasks, completed: 0, startedAt: d.startedAt, ...(d.tasks === 0 ? { finishedAt: d.startedAt } : {}) });
      break;
    }
    case 'StepSkipped':
      state.steps.set(event.data.step, { name: event.data.step, status: 'skipped', tasks: 0, completed: 0, finishedAt: event.data.skippedAt });
      break;
    case 'TaskScheduled': {
      const d = event.data;
      state.tasks.set(d.taskId, {
        taskId: d.taskId, step: d.step, index: d.index, task: d.task, attempt: d.attempt, status: 'running',
        input: d.input, timeoutMs: d.timeoutMs, notBefore: d.notBefore, deadlineAt: d.deadlineAt, scheduledAt: d.scheduledAt,
      });
      break;
    }
    case 'TaskCompleted': {
      const task = taskOf(state, event.data.taskId);
      task.status = 'completed';
      task.output = event.data.output;
      task.finishedAt = event.data.completedAt;
      const step = state.steps.get(task.step)!;
      step.completed++;
      if (step.completed === step.tasks) {
        step.status = 'completed';
        step.finishedAt = event.data.completedAt;
      }
      break;
    }
    case 'TaskFailed': {
      const task = taskOf(state, event.data.taskId);
      task.status = 'failed';
      task.failure = event.data.failure;
      task.finishedAt = event.data.failedAt;
      break;
    }
    case 'TaskTimedOut': {
      const task = taskOf(state, event.data.taskId);
      task.status = 'failed';
      task.failure = { type: 'TASK_TIMEOUT', message: `attempt ${event.data.attempt} timed out (${event.data.by})`, retryable: true };
      task.finishedAt = event.data.timedOutAt;
      break;
    }
    case 'TaskRetried':
      // The next attempt arrives as its own TaskScheduled; this records the decision and its delay.
      taskOf(state, event.data.taskId).attempt = event.data.attempt;
      break;
    case 'ProcessCompleted':
      state.status = 'completed';
      state.output = event.data.output;
      state.finishedAt = event.data.completedAt;
      break;
    case 'ProcessFailed': {
      const { reason, step, taskId, failure } = event.data;
      state.status = 'failed';
      state.failure = { reason, step, taskId, failure };
      state.finishedAt = event.data.failedAt;
      break;
    }
    case 'ProcessResumed':
      state.status = 'running';
      delete state.failure;
      delete state.finishedAt;
      break;
    case 'ProcessCancelled':
      state.status = 'cancelled';
      state.cancelReason = event.data.reason;
      state.finishedAt = event.data.cancelledAt;
      break;
  }
  return state;
}

function taskOf(state: ProcessState, taskId: string): TaskState {
  const task = state.tasks.get(taskId);
  if (task === undefined) throw corrupt(`an event for unknown task ${taskId}`, state.processId);
  return task;
}

function corrupt(what: string, processId: string): MillraceError {
  return new MillraceError('STORAGE_CORRUPT', `process ${processId}: history has ${what}`, { processId });
}
