/**
 * @module jobs/process-events
 * The facts of a process's life, past tense, stored in its event stream.
 * This schema is a contract with every history already recorded: change it
 * only by adding optional fields or new event types, and keep
 * `test/fixtures/histories/` replaying (see `millrace/testing`).
 *
 * Beyond the core set, `StepStarted` records how many tasks a step
 * fanned out to (zero is a valid answer, and without the event an empty
 * batch could never be seen to finish), and `StepSkipped` records a step
 * whose condition was false. `ProcessResumed` records a failed process
 * running again because the task that failed it was retried by request
 * (`RetryTask`); the retried tasks follow as `TaskRetried` (with
 * `requested: true`) and `TaskScheduled`.
 */
import type { TaskFailure } from '../core/failure.js';

export interface ProcessStarted {
  type: 'ProcessStarted';
  data: { processId: string; definition: string; version: number; input: unknown; startedAt: number };
}
export interface StepStarted {
  type: 'StepStarted';
  data: { step: string; tasks: number; startedAt: number };
}
export interface StepSkipped {
  type: 'StepSkipped';
  data: { step: string; reason: string; skippedAt: number };
}
export interface TaskScheduled {
  type: 'TaskScheduled';
  data: {
    taskId: string;
    step: string;
    index: number;
    attempt: number;
    task: string;
    /** The input, or a claim ticket when large. */
    input: unknown;
    timeoutMs: number;
    /** Not delivered before (backoff of a retry). */
    notBefore: number;
    /** Orchestrator deadline (schedule-to-close), if the step sets one. */
    deadlineAt?: number;
    scheduledAt: number;
  };
}
export interface TaskCompleted {
  type: 'TaskCompleted';
  /** `tag`: the tags of the worker that ran it, when it had any. */
  data: { taskId: string; attempt: number; output: unknown; durationMs?: number; tag?: string; completedAt: number };
}
export interface TaskFailed {
  type: 'TaskFailed';
  data: { taskId: string; attempt: number; failure: TaskFailure; tag?: string; failedAt: number };
}
export interface TaskTimedOut {
  type: 'TaskTimedOut';
  data: { taskId: string; attempt: number; by: 'worker' | 'deadline'; tag?: string; timedOutAt: number };
}
export interface TaskRetried {
  type: 'TaskRetried';
  data: {
    taskId: string;
    attempt: number;
    delayMs: number;
    retriedAt: number;
    /** Retried because someone asked (`RetryTask`), not by the step's retry policy. */
    requested?: true;
  };
}
export interface ProcessCompleted {
  type: 'ProcessCompleted';
  data: { output: unknown; completedAt: number };
}
export interface ProcessFailed {
  type: 'ProcessFailed';
  data: { reason: string; step?: string; taskId?: string; failure?: TaskFailure; failedAt: number };
}
export interface ProcessResumed {
  type: 'ProcessResumed';
  data: { taskId: string; resumedAt: number };
}
export interface ProcessCancelled {
  type: 'ProcessCancelled';
  data: { reason: string; cancelledAt: number };
}

export type ProcessEvent =
  | ProcessStarted
  | StepStarted
  | StepSkipped
  | TaskScheduled
  | TaskCompleted
  | TaskFailed
  | TaskTimedOut
  | TaskRetried
  | ProcessCompleted
  | ProcessFailed
  | ProcessResumed
  | ProcessCancelled;

export type ProcessEventType = ProcessEvent['type'];

export const PROCESS_EVENT_TYPES: readonly ProcessEventType[] = [
  'ProcessStarted', 'StepStarted', 'StepSkipped', 'TaskScheduled', 'TaskCompleted', 'TaskFailed',
  'TaskTimedOut', 'TaskRetried', 'ProcessCompleted', 'ProcessFailed', 'ProcessResumed', 'ProcessCancelled',
];

/** Event stream of a process. */
export function processStreamId(processId: string): string {
  return `process-${processId}`;
}

/** The process a stream belongs to, or undefined for another kind of stream. */
export function processIdOfStream(streamId: string): string | undefined {
  return streamId.startsWith('process-') ? streamId.slice('process-'.length) : undefined;
}
