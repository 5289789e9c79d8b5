/**
 * @module jobs/timeout-manager
 * Reads the running tasks' deadlines and asks their processes to time them
 * out (`TryTimeoutTask`). It only asks: the process decides, and a task
 * whose result arrived in the meantime is left alone (`ignored`). This is
 * the backstop for a result lost with a dead worker; a slow handler is
 * stopped earlier by the worker's own execution timeout.
 */
import type { Clock } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import { Repeating } from '../core/repeating.js';
import type { Logger } from '../core/logger.js';
import type { ProcessIndex } from './process-index.js';
import type { ProcessManager } from './process-manager.js';

export interface TimeoutManagerOptions {
  index: ProcessIndex;
  manager: ProcessManager;
  clock: Clock;
  logger: Logger;
  /** How often deadlines are checked. @defaultValue 1000 ms */
  intervalMs?: number;
}

export class TimeoutManager {
  private readonly loop: Repeating;

  constructor(private readonly options: TimeoutManagerOptions) {
    // `check` reports each task it could not time out; a round as a whole does not fail.
    this.loop = new Repeating({ clock: options.clock, intervalMs: options.intervalMs ?? 1000, work: () => this.check(), onError: () => undefined });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Sends `TryTimeoutTask` for every overdue task; resolves when the processes have decided. */
  async check(): Promise<number> {
    const now = this.options.clock.now();
    const overdue = this.options.index.overdue(now);
    await Promise.all(overdue.map(async (d) => {
      try {
        const result = await this.options.manager.execute(d.processId, { type: 'TryTimeoutTask', taskId: d.taskId, attempt: d.attempt, now });
        if (result.outcome === 'applied') this.options.logger.warn({ processId: d.processId, taskId: d.taskId, attempt: d.attempt }, 'task missed its deadline; timed out');
      } catch (error) {
        this.options.logger.error({ processId: d.processId, taskId: d.taskId, error: messageOf(error) }, 'could not time out a task');
      }
    }));
    return overdue.length;
  }

}
