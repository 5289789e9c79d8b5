/**
 * The state a step is drawn in. The API gives each step a status (pending,
 * running, completed, skipped) and counts; the page also needs to tell a
 * step that is retrying failed tasks from one running cleanly, and the step
 * that failed the process from the steps it stopped.
 */
import type { ProcessView, StepView } from './types.js';

export type StepState = 'pending' | 'running' | 'retried' | 'done' | 'failed' | 'skipped' | 'stopped';

export const STATE_LABELS: Record<StepState, string> = {
  pending: 'pending',
  running: 'running',
  retried: 'retrying',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
  stopped: 'stopped',
};

export function stepState(step: StepView, process: Pick<ProcessView, 'status' | 'failure'>): StepState {
  if (step.status === 'completed') return 'done';
  if (step.status === 'skipped') return 'skipped';
  if (process.failure?.step === step.name) return 'failed';
  if (step.status === 'pending') return 'pending';
  // Running, as far as the history goes: unless the process has ended around it.
  if (process.status === 'failed') return step.failed > 0 ? 'failed' : 'stopped';
  if (process.status === 'cancelled') return 'stopped';
  return step.failed > 0 || step.retries > 0 ? 'retried' : 'running';
}

/** When a step stopped: its own end, or the process's when the process ended around it. */
export function stepEnd(step: StepView, process: Pick<ProcessView, 'status' | 'finishedAt'>): number | undefined {
  return step.finishedAt ?? (process.status === 'running' ? undefined : process.finishedAt);
}
