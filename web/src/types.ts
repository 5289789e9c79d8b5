/**
 * The HTTP API's shapes as the dashboard reads them (docs/server.md): the
 * server's own types where the API sends them as they are (type-only
 * exports, erased from the bundle, so browser code never pulls in the
 * server's modules, and a change on the server fails the dashboard's
 * typecheck instead of drifting), and the few shapes only the API makes.
 */
import type { TaskFailure } from '../../src/core/failure.js';
import type { QueueStats as StoredQueueStats } from '../../src/ports/task-queue.js';
import type { Scope } from '../../src/server/auth/scopes.js';

export type { ProcessStatus, StepStatus } from '../../src/jobs/process-state.js';
export type { ProcessView, StepView } from '../../src/jobs/process-view.js';
export type { ProcessSummary } from '../../src/jobs/process-index.js';
export type { TaskFailure } from '../../src/core/failure.js';
export type { Scope } from '../../src/server/auth/scopes.js';
export type { DeadLetter } from '../../src/ports/task-queue.js';

/** A queue as `/api/queues` lists it: its counts and its name. */
export type QueueStats = StoredQueueStats & { name: string };

/** A failed task attempt (from the live stream or the history). */
export interface TaskFailureNote {
  taskId: string;
  step: string;
  attempt: number;
  failure: TaskFailure;
  at: number;
}

export interface QueueSample {
  at: number;
  queues: QueueStats[];
  ended: { completed: number; failed: number };
  intervalMs: number;
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
