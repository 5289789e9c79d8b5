/**
 * The HTTP API's shapes as the dashboard reads them (docs/server.md). Kept
 * here rather than imported from src/, so browser code never pulls in the
 * server's modules; the end-to-end tests catch a drift.
 */
export type ProcessStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'completed' | 'skipped';
export type Scope = 'read' | 'operate' | 'admin';

export interface TaskFailure {
  type: string;
  message: string;
  retryable: boolean;
  cause?: { type: string; message: string };
}

export interface StepView {
  name: string;
  task: string;
  after: string[];
  status: StepStatus;
  tasks: number;
  completed: number;
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

export interface ProcessSummary {
  processId: string;
  definition: string;
  version: number;
  status: ProcessStatus;
  startedAt: number;
  finishedAt?: number;
  reason?: string;
}

/** A failed task attempt (from the live stream or the history). */
export interface TaskFailureNote {
  taskId: string;
  step: string;
  attempt: number;
  failure: TaskFailure;
  at: number;
}

export interface QueueStats {
  name: string;
  ready: number;
  delayed: number;
  inFlight: number;
  deadLettered: number;
  redelivered: number;
}

export interface QueueSample {
  at: number;
  queues: QueueStats[];
  ended: { completed: number; failed: number };
  intervalMs: number;
}

export interface DeadLetter {
  id: string;
  queue: string;
  name: string;
  payload: unknown;
  attempts: number;
  reason: string;
  deadAt: number;
}

export interface Session {
  auth: boolean;
  scope: Scope;
  name?: string;
}

export interface StoredEvent {
  type: string;
  version: number;
  data: Record<string, unknown>;
  recordedAt: number;
}
