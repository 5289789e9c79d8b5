/**
 * @module workers/scaler/pool-scaler
 * The embedded scaler: every `sampleMs` it measures one queue and one
 * worker-thread pool, asks the scaling policy, and resizes the pool (and the
 * worker's concurrency with it) when told to. Each decision that changes
 * something is logged and kept (the last 100), for metrics and the API.
 */
import type { Clock } from '../../core/clock.js';
import { Repeating } from '../../core/repeating.js';
import { MillraceError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TaskQueue } from '../../ports/task-queue.js';
import type { TaskWorker } from '../task-worker.js';
import type { WorkerPool } from '../worker-pool.js';
import { decideScale, initialMemory, policyProblem, type ScalingDecision, type ScalingMemory, type ScalingPolicy, type ScalingSample } from './scaling-policy.js';

export interface PoolScalerOptions {
  queue: TaskQueue;
  queueName: string;
  pool: WorkerPool;
  worker: TaskWorker;
  policy: ScalingPolicy;
  clock: Clock;
  logger: Logger;
  /** @defaultValue 1 000 ms */
  sampleMs?: number;
  /** Tasks in flight per thread, kept as the pool resizes. @defaultValue 16 */
  concurrencyPerThread?: number;
}

export interface ScalerStatus {
  policy: ScalingPolicy;
  current: number;
  /** What the last sample called for, within the bounds. */
  desired: number;
  lastSample: ScalingSample | undefined;
  /** Decisions that changed the size, newest last (the last 100). */
  decisions: ScalingDecision[];
  /** Changes made since the scaler started. */
  changes: { up: number; down: number };
}

const KEPT_DECISIONS = 100;

export class PoolScaler {
  private memory: ScalingMemory = initialMemory();
  private previous: { at: number; backlog: number; completed: number; busyMs: number } | undefined;
  private lastSample: ScalingSample | undefined;
  private desired: number;
  private readonly decisions: ScalingDecision[] = [];
  private readonly changes = { up: 0, down: 0 };
  private policy: ScalingPolicy;
  private readonly loop: Repeating;

  constructor(private readonly options: PoolScalerOptions) {
    this.policy = checked(options.policy);
    this.desired = options.pool.stats.size;
    this.loop = new Repeating({
      clock: options.clock, intervalMs: options.sampleMs ?? 1000, work: () => this.sample(),
      onError: (error) => options.logger.warn({ error: messageOf(error) }, 'scaler could not take a sample'),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Changes the bounds and targets live (a dial); the next sample uses them. */
  setPolicy(policy: ScalingPolicy): void {
    this.policy = checked(policy);
  }

  status(): ScalerStatus {
    return { policy: { ...this.policy }, current: this.options.pool.stats.size, desired: this.desired, lastSample: this.lastSample, decisions: [...this.decisions], changes: { ...this.changes } };
  }

  /** Takes one sample and acts on it (the timer calls this; tests may too). */
  async sample(): Promise<ScalingDecision | undefined> {
    const at = this.options.clock.now();
    const stats = await this.options.queue.stats(this.options.queueName);
    const pool = this.options.pool.stats;
    // Tasks handed over in-process wait in the worker, not in the queue: they are backlog all the same.
    const backlog = stats.ready + this.options.worker.localWaiting;
    const completed = pool.completed + pool.failed;
    const previous = this.previous;
    this.previous = { at, backlog, completed, busyMs: pool.busyMs };
    if (previous === undefined || at <= previous.at) return undefined;
    const seconds = (at - previous.at) / 1000;
    const done = completed - previous.completed;
    const sample: ScalingSample = {
      at, current: pool.size, backlog,
      backlogGrowthPerSec: (backlog - previous.backlog) / seconds,
      completedPerSec: done / seconds,
      busyMsPerTask: done > 0 ? (pool.busyMs - previous.busyMs) / done : undefined,
    };
    this.lastSample = sample;
    const { decision, memory } = decideScale(sample, this.policy, this.memory);
    this.memory = memory;
    this.desired = Math.min(this.policy.max, Math.max(this.policy.min, decision.needed));
    if (decision.direction === 'hold') return decision;
    this.options.logger.info({ queue: this.options.queueName, from: decision.from, to: decision.to, reason: decision.reason }, `scaling ${decision.direction}: ${decision.from} → ${decision.to} threads`);
    this.decisions.push(decision);
    this.changes[decision.direction]++;
    if (this.decisions.length > KEPT_DECISIONS) this.decisions.shift();
    await this.options.pool.resize(decision.to);
    await this.options.worker.setConcurrency(decision.to * (this.options.concurrencyPerThread ?? 16));
    return decision;
  }
}

function checked(policy: ScalingPolicy): ScalingPolicy {
  const problem = policyProblem(policy);
  if (problem !== undefined) throw new MillraceError('CONFIG_INVALID', `autoscale: ${problem}`, { field: 'autoscale' });
  return { ...policy };
}
