/**
 * @module jobs/scheduler
 * Runs process schedules: every `checkMs` it starts the processes whose
 * fire times have come (see jobs/schedule for ids and catch-up) and
 * checkpoints how far it got. Every server may run it: two that race start
 * each process once (the id decides) and the checkpoint's expected version
 * makes the loser re-read where the winner got to.
 */
import type { Clock } from '../core/clock.js';
import { Repeating } from '../core/repeating.js';
import { hasCode, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import { dueFireTimes, scheduledProcessId, type ScheduleDefinition } from './schedule.js';

export interface SchedulerOptions {
  schedules: readonly ScheduleDefinition[];
  /** Starts a process (`Orchestrator.startProcess`): the same id twice starts it once. */
  start: (definition: string, input: unknown, options: { version?: number; processId: string }) => Promise<string>;
  checkpoints: CheckpointStore;
  clock: Clock;
  logger: Logger;
  /** @defaultValue 1 000 ms */
  checkMs?: number;
}

export class Scheduler {
  private readonly loop: Repeating;

  constructor(private readonly options: SchedulerOptions) {
    // `check` reports a failing schedule itself; a round as a whole does not fail.
    this.loop = new Repeating({ clock: options.clock, intervalMs: options.checkMs ?? 1000, firstDelayMs: 0, work: () => this.check(), onError: () => undefined });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Starts what is due for every schedule (the timer calls this; tests may too). Returns the process ids started. */
  async check(): Promise<string[]> {
    const started: string[] = [];
    for (const schedule of this.options.schedules) {
      try {
        started.push(...(await this.checkOne(schedule)));
      } catch (error) {
        this.options.logger.error({ schedule: schedule.name, error: messageOf(error) }, 'schedule check failed; trying again at the next check');
      }
    }
    return started;
  }

  private async checkOne(schedule: ScheduleDefinition): Promise<string[]> {
    const pipeline = `millrace.schedule.${schedule.name}`;
    for (let attempt = 0; ; attempt++) {
      const now = this.options.clock.now();
      const checkpoint = await this.options.checkpoints.load(pipeline);
      const handledUpTo = checkpoint?.offsets.handledUpTo;
      const version = checkpoint?.version ?? 0;
      // A schedule seen for the first time starts from now: it has missed nothing.
      const due = handledUpTo === undefined ? [] : dueFireTimes(schedule, handledUpTo, now);
      const started: string[] = [];
      for (const fireTime of due) {
        const processId = scheduledProcessId(schedule.name, fireTime);
        await this.options.start(schedule.process, schedule.input(fireTime), { version: schedule.version, processId });
        this.options.logger.info({ schedule: schedule.name, processId, fireTime: new Date(fireTime).toISOString() }, 'scheduled process started');
        started.push(processId);
      }
      try {
        await this.options.checkpoints.commit(pipeline, { state: new Uint8Array(0), offsets: { handledUpTo: now }, expectedVersion: version });
        return started;
      } catch (error) {
        // Another server moved it on; what both started was started once (same ids). Look again.
        if (!hasCode(error, 'CHECKPOINT_CONFLICT') || attempt >= 3) throw error;
      }
    }
  }
}
