/**
 * @module jobs/process-view
 * What `status` shows of a process: its steps with progress and timings, and
 * its outcome. Plain data, ready for JSON (CLI, HTTP, dashboard).
 */
import type { TaskFailure } from '../core/failure.js';
import type { ProcessDefinition } from './process-definition.js';
import type { ProcessState, ProcessStatus, StepStatus, TaskStatus } from './process-state.js';

export interface StepView {
  name: string;
  task: string;
  after: string[];
  status: StepStatus;
  tasks: number;
  completed: number;
  /** Tasks whose current attempt failed (waiting for a retry, or the cause of a failed process). */
  failed: number;
  retries: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface ProcessView {
  processId: string;
  definition: string;
  version: number;
  status: ProcessStatus;
  startedAt: number;
  finishedAt?: number;
  steps: StepView[];
  output?: unknown;
  failure?: { reason: string; step?: string; taskId?: string; failure?: TaskFailure };
  cancelReason?: string;
}

/**
 * Builds the view. Without the definition (a CLI in another process), the
 * steps shown are those the history has reached, in the order they started.
 */
export function viewProcess(state: ProcessState, definition?: ProcessDefinition): ProcessView {
  const perStep = new Map<string, { failed: number; retries: number }>();
  for (const task of state.tasks.values()) {
    const counts = perStep.get(task.step) ?? { failed: 0, retries: 0 };
    if (task.status === 'failed') counts.failed++;
    counts.retries += task.attempt - 1;
    perStep.set(task.step, counts);
  }
  const declared = definition?.steps.map((step) => ({ name: step.name, task: step.task, after: step.after }))
    ?? [...state.steps.keys()].map((name) => ({ name, task: [...state.tasks.values()].find((t) => t.step === name)?.task ?? '', after: [] as string[] }));
  const steps = declared.map((step): StepView => {
    const s = state.steps.get(step.name);
    const counts = perStep.get(step.name) ?? { failed: 0, retries: 0 };
    return {
      name: step.name, task: step.task, after: step.after, status: s?.status ?? 'pending',
      tasks: s?.tasks ?? 0, completed: s?.completed ?? 0, failed: counts.failed, retries: counts.retries,
      ...(s?.startedAt !== undefined ? { startedAt: s.startedAt } : {}), ...(s?.finishedAt !== undefined ? { finishedAt: s.finishedAt } : {}),
    };
  });
  return {
    processId: state.processId, definition: state.definition, version: state.version, status: state.status, startedAt: state.startedAt,
    ...(state.finishedAt !== undefined ? { finishedAt: state.finishedAt } : {}),
    steps,
    ...(state.status === 'completed' ? { output: state.output } : {}),
    ...(state.failure !== undefined ? { failure: state.failure } : {}),
    ...(state.cancelReason !== undefined ? { cancelReason: state.cancelReason } : {}),
  };
}

/** One task of a process, at its current attempt; inputs and outputs are left out (they may be large). */
export interface TaskView {
  taskId: string;
  step: string;
  index: number;
  task: string;
  attempt: number;
  status: TaskStatus;
  failure?: TaskFailure;
  scheduledAt: number;
  finishedAt?: number;
  /** Whether `RetryTask` would run it again: it failed for good and failed the process. */
  retryable: boolean;
}

/** The process's tasks in the order they were first scheduled, filtered by step and status. */
export function viewTasks(state: ProcessState, filter: { step?: string; status?: TaskStatus } = {}): TaskView[] {
  const views: TaskView[] = [];
  for (const task of state.tasks.values()) {
    if ((filter.step !== undefined && task.step !== filter.step) || (filter.status !== undefined && task.status !== filter.status)) continue;
    views.push({
      taskId: task.taskId, step: task.step, index: task.index, task: task.task, attempt: task.attempt, status: task.status,
      ...(task.failure !== undefined && task.status === 'failed' ? { failure: task.failure } : {}),
      scheduledAt: task.scheduledAt, ...(task.finishedAt !== undefined ? { finishedAt: task.finishedAt } : {}),
      retryable: state.status === 'failed' && task.status === 'failed' && state.failure?.taskId === task.taskId,
    });
  }
  return views;
}
