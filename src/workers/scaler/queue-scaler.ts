/**
 * @module workers/scaler/queue-scaler
 * The scaler of a cluster: it cannot resize machines, so it says how many
 * `millrace worker` processes a queue needs — as a metric, at
 * `GET /api/scaling`, and to a hook — for the platform's autoscaler to act
 * on. Inputs: the queue's backlog, and the run time of tasks as their
 * results arrive (the process histories the server follows), divided over
 * each worker's threads. Pre-scale windows raise the floor ahead of known
 * peaks. Without a count of live workers, the last figure it gave stands
 * for the current one.
 */
import type { Clock } from '../../core/clock.js';
import { Repeating } from '../../core/repeating.js';
import { MillraceError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TaskQueue } from '../../ports/task-queue.js';
import { prescaleMin, validatePrescale, type PrescaleWindow } from './prescale.js';
import { decideScale, initialMemory, policyProblem, type ScalingDecision, type ScalingMemory, type ScalingPolicy, type ScalingSample } from './scaling-policy.js';

/** A task attempt that ended, with its run time (see jobs/process-index `task` events). */
export interface EndedTask {
  durationMs: number | undefined;
}

export interface QueueScalerOptions {
  queue: TaskQueue;
  queueName: string;
  policy: ScalingPolicy;
  /** Threads of each worker process. @defaultValue 1 */
  threadsPerWorker?: number;
  prescale?: readonly PrescaleWindow[];
  clock: Clock;
  logger: Logger;
  /** @defaultValue 5 000 ms */
  sampleMs?: number;
  /** Called when the desired count changes (a hook command, a webhook). */
  onChange?: (decision: ScalingDecision) => Promise<void> | void;
}

export interface QueueScalerStatus {
  queue: string;
  desired: number;
  policy: ScalingPolicy;
  /** The floor of the pre-scale windows open now, if any. */
  prescaleMin: number;
  lastSample: ScalingSample | undefined;
  decisions: ScalingDecision[];
}

export class QueueScaler {
  private desired: number;
  private memory: ScalingMemory = initialMemory();
  private previous: { at: number; backlog: number } | undefined;
  private ended = { count: 0, busyMs: 0 };
  private lastSample: ScalingSample | undefined;
  private readonly decisions: ScalingDecision[] = [];
  private readonly loop: Repeating;

  constructor(private readonly options: QueueScalerOptions) {
    const problem = policyProblem(options.policy);
    if (problem !== undefined) throw new MillraceError('CONFIG_INVALID', `scaler: ${problem}`, { field: 'scaler' });
    validatePrescale(options.prescale ?? []);
    this.desired = options.policy.min;
    this.loop = new Repeating({
      clock: options.clock, intervalMs: options.sampleMs ?? 5000, work: () => this.sample(),
      onError: (error) => options.logger.warn({ error: messageOf(error) }, 'scaler could not take a sample'),
    });
  }

  /** Feed every ended task (the server passes its index's `task` events). */
  taskEnded(task: EndedTask): void {
    this.ended.count++;
    this.ended.busyMs += task.durationMs ?? 0;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  status(): QueueScalerStatus {
    const now = this.options.clock.now();
    return {
      queue: this.options.queueName, desired: this.desired, policy: { ...this.options.policy },
      prescaleMin: prescaleMin(this.options.prescale ?? [], now), lastSample: this.lastSample, decisions: [...this.decisions],
    };
  }

  async sample(): Promise<ScalingDecision | undefined> {
    const at = this.options.clock.now();
    const backlog = (await this.options.queue.stats(this.options.queueName)).ready;
    const ended = this.ended;
    this.ended = { count: 0, busyMs: 0 };
    const previous = this.previous;
    this.previous = { at, backlog };
    if (previous === undefined || at <= previous.at) return undefined;
    const seconds = (at - previous.at) / 1000;
    const threads = this.options.threadsPerWorker ?? 1;
    const sample: ScalingSample = {
      at, current: this.desired, backlog,
      backlogGrowthPerSec: (backlog - previous.backlog) / seconds,
      completedPerSec: ended.count / seconds,
      // A worker runs `threads` tasks at once: per worker, a task costs a thread's time over that many.
      busyMsPerTask: ended.count > 0 ? ended.busyMs / ended.count / threads : undefined,
    };
    this.lastSample = sample;
    const floor = prescaleMin(this.options.prescale ?? [], at);
    const policy = { ...this.options.policy, min: Math.min(this.options.policy.max, Math.max(this.options.policy.min, floor)) };
    const { decision, memory } = decideScale(sample, policy, this.memory);
    this.memory = memory;
    if (decision.direction === 'hold') return decision;
    this.desired = decision.to;
    this.decisions.push(decision);
    if (this.decisions.length > 100) this.decisions.shift();
    this.options.logger.info({ queue: this.options.queueName, from: decision.from, to: decision.to, reason: decision.reason }, `desired workers ${decision.from} → ${decision.to}`);
    await this.options.onChange?.(decision);
    return decision;
  }
}
