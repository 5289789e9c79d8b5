/**
 * @module jobs/dead-letter-watch
 * Tells a process when the queue gave up on one of its tasks. A task whose
 * handler crashes its worker (a thread or a whole process) never reports a
 * result: the queue redelivers it until its delivery limit, then
 * dead-letters it. Without this watch its process would wait for that task
 * forever (unless the step sets a `deadlineMs`). Every round it reads the
 * task queue's dead letters and, for each process task among them, sends
 * `FailTask` with a `TASK_DEAD_LETTERED` failure for the attempt the
 * message carried, and the step's retry policy decides: retry (a fresh
 * message, with a fresh delivery limit) or fail the process cleanly, while
 * other processes carry on. The failure is retryable on purpose: a crash
 * takes down every task in flight on the dead worker, so an innocent task
 * can reach the delivery limit alongside a poison one; the step's
 * `maxAttempts` bounds how often a real poison task is tried. A letter for a
 * task that has since moved on (completed, retried, cancelled) is ignored
 * by the process, so re-reading letters after a restart is harmless.
 */
import type { Clock } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Repeating } from '../core/repeating.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { parseTaskPayload } from '../workers/task-message.js';
import type { ProcessManager } from './process-manager.js';

export interface DeadLetterWatchOptions {
  queue: TaskQueue;
  /** Queues whose dead letters may hold process tasks. */
  queues: () => readonly string[];
  manager: Pick<ProcessManager, 'execute'>;
  clock: Clock;
  logger: Logger;
  /** @defaultValue 1000 ms */
  intervalMs?: number;
  /** Letters read per queue and round. @defaultValue 500 */
  batch?: number;
}

export class DeadLetterWatch {
  private readonly loop: Repeating;
  /** Letters already passed on (the process decided on them); bounded by the dead letters kept. */
  private readonly handled = new Set<string>();

  constructor(private readonly options: DeadLetterWatchOptions) {
    this.loop = new Repeating({
      clock: options.clock, intervalMs: options.intervalMs ?? 1000, work: () => this.check(),
      onError: (error) => options.logger.warn({ error: messageOf(error) }, 'could not read dead letters'),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One round: returns how many tasks were failed. */
  async check(): Promise<number> {
    let failed = 0;
    for (const queue of this.options.queues()) {
      for (const letter of await this.options.queue.deadLetters(queue, { limit: this.options.batch ?? 500 })) {
        const key = `${queue}\u0000${letter.id}`;
        if (this.handled.has(key)) continue;
        let payload;
        try {
          payload = parseTaskPayload(letter.payload);
        } catch {
          this.handled.add(key); // not a task message: nothing to tell
          continue;
        }
        if (payload.attempt === undefined) {
          this.handled.add(key); // a batch task: its caller owns it
          continue;
        }
        const processId = payload.taskId.split('/')[0]!;
        const failure = { type: 'TASK_DEAD_LETTERED', message: `task ${payload.taskId} was dead-lettered after ${letter.attempts} deliveries: ${letter.reason}`, retryable: true };
        try {
          const result = await this.options.manager.execute(processId, { type: 'FailTask', taskId: payload.taskId, attempt: payload.attempt, failure, now: this.options.clock.now() });
          this.handled.add(key);
          if (result.outcome === 'applied') {
            failed++;
            this.options.logger.error({ processId, taskId: payload.taskId, attempts: letter.attempts, reason: letter.reason }, 'task dead-lettered; its process was told');
          }
        } catch (error) {
          // Unknown process or definition: keep the letter for an operator, try again next round.
          this.options.logger.warn({ processId, taskId: payload.taskId, error: messageOf(error) }, 'could not report a dead-lettered task');
        }
      }
    }
    return failed;
  }
}
