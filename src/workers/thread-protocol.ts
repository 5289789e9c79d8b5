/**
 * @module workers/thread-protocol
 * Messages between the worker pool (main thread) and its threads. Plain
 * data only: structured clone carries them, and errors travel as
 * `TaskFailure`s, never as thrown objects.
 *
 * ```
 *  pool ──run[{id,…}]──▶ thread     thread ──ready{tasks}───▶ pool (once, after loading the task module)
 *  pool ──abort{id}────▶ thread     thread ──heartbeat{id}──▶ pool
 *                                   thread ──done[{id,…}]───▶ pool
 * ```
 */
import type { TaskFailure } from '../core/failure.js';
import type { MessageBody } from '../core/message-body.js';
import type { TaskInfo } from './task-definition.js';

/** One task to run in a thread. */
export interface RunRequest {
  /** Deterministic task id (the same on every attempt). */
  taskId: string;
  /** Task name, as given to `defineTask`. */
  name: string;
  /** JSON input, possibly a claim ticket. */
  input: unknown;
  attempt: number;
  /** Overrides the definition's timeout. */
  timeoutMs?: number;
  /** The result goes into a process's events, which are JSON: bytes in it fail the run, whatever its size. */
  resultToEvents?: boolean;
}

/** How a run ended: output (possibly a claim ticket) or a failure record. */
export type TaskOutcome = { ok: true; output: unknown } | { ok: false; failure: TaskFailure };

/**
 * Runs and results travel in batches: everything sent to one thread during
 * one event-loop turn is one message, so a thousand short tasks cost a few
 * dozen thread wake-ups, not a thousand, and completions reach the queue
 * together (one group commit for their acks).
 */
export type ToThread =
  | { t: 'run'; runs: Array<{ id: number; request: RunRequest }> }
  | { t: 'abort'; id: number; reason: string };

export type FromThread =
  | { t: 'ready'; tasks: TaskInfo[] }
  | { t: 'fatal'; message: string }
  | { t: 'heartbeat'; id: number; progress?: Record<string, number | string> }
  /** `busyMs`: how long the thread's event loop was busy since its previous `done` (the pool's run-time estimates). */
  | { t: 'done'; results: Array<{ id: number; outcome: WireOutcome }>; busyMs: number };

/** An outcome as a thread sends it: the output encoded, JSON text or a frame (see `checkInAsBody`); a frame is transferred, not copied. */
export type WireOutcome = { ok: true; output: MessageBody } | { ok: false; failure: TaskFailure };

/** What the pool hands every thread at start. */
export interface ThreadData {
  /** URL of the module exporting the task definitions. */
  tasksModule: string;
  /** Opaque to the pool; the thread entry uses it to build its blob store. */
  blobStore: unknown;
  claimCheckBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}
