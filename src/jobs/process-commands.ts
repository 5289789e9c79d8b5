/**
 * @module jobs/process-commands
 * What can be asked of a process. Time arrives in every command (`now`):
 * the decider never reads a clock, so deciding is repeatable.
 */
import type { TaskFailure } from '../core/failure.js';

export interface StartProcess {
  type: 'StartProcess';
  processId: string;
  definition: string;
  version: number;
  input: unknown;
  now: number;
}
export interface CompleteTask {
  type: 'CompleteTask';
  taskId: string;
  attempt: number;
  output: unknown;
  durationMs?: number;
  /** The worker's tags (see `TaskResult.tag`). */
  tag?: string;
  now: number;
}
export interface FailTask {
  type: 'FailTask';
  taskId: string;
  attempt: number;
  failure: TaskFailure;
  /** The worker's tags (see `TaskResult.tag`). */
  tag?: string;
  now: number;
}
export interface TryTimeoutTask {
  type: 'TryTimeoutTask';
  taskId: string;
  attempt: number;
  now: number;
}
/**
 * Runs a task again that failed for good and so failed its process: the
 * process runs again (see `ProcessResumed`). Ignored for any other task.
 */
export interface RetryTask {
  type: 'RetryTask';
  taskId: string;
  now: number;
}
export interface CancelProcess {
  type: 'CancelProcess';
  reason: string;
  now: number;
}

export type ProcessCommand = StartProcess | CompleteTask | FailTask | TryTimeoutTask | RetryTask | CancelProcess;

/**
 * What became of a command: `applied` (events recorded), `duplicate` (it was
 * applied before: a redelivered completion, a second start), `superseded`
 * (from an attempt that is no longer current: fenced), `ignored` (nothing to
 * do: unknown task, process already finished, deadline not reached).
 */
export type CommandOutcome = 'applied' | 'duplicate' | 'superseded' | 'ignored';
