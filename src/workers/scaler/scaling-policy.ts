/**
 * @module workers/scaler/scaling-policy
 * How many workers a queue needs, decided from what was measured: pure, no
 * clock, no I/O, so every decision can be replayed from its inputs.
 *
 * ```
 * work arriving  = completions/s + growth of the backlog/s
 * work to clear  = backlog / drainSeconds          (catch up within drainSeconds)
 * workers needed = seconds of busy time per task × (arriving + to clear) / targetUtilisation
 * ```
 *
 * Growing is quick (after `upCooldownMs`): a backlog costs users now.
 * Shrinking waits until fewer workers have been enough for `downCooldownMs`
 * without a break, so a lull between two bursts does not flap the pool.
 */

export interface ScalingPolicy {
  min: number;
  max: number;
  /** Busy fraction a worker should run at; headroom for bursts. @defaultValue 0.75 */
  targetUtilisation?: number;
  /** A backlog should be cleared within this many seconds. @defaultValue 10 */
  drainSeconds?: number;
  /** @defaultValue 2 000 */
  upCooldownMs?: number;
  /** @defaultValue 30 000 */
  downCooldownMs?: number;
}

/** One measurement of a queue and its workers over an interval. */
export interface ScalingSample {
  at: number;
  /** Workers now. */
  current: number;
  /** Messages waiting to be delivered. */
  backlog: number;
  /** How much the backlog grew per second over the interval (negative when it shrank). */
  backlogGrowthPerSec: number;
  completedPerSec: number;
  /** Mean busy time per completed task over the interval; undefined when none completed. */
  busyMsPerTask: number | undefined;
}

export interface ScalingDecision {
  at: number;
  from: number;
  to: number;
  direction: 'up' | 'down' | 'hold';
  /** Workers the measurement called for, before bounds and cool-downs. */
  needed: number;
  reason: string;
}

/** What the policy remembers between samples. */
export interface ScalingMemory {
  lastChangeAt: number;
  /** Since when fewer workers than now have been enough, without a break. */
  lowSince: number | undefined;
}

export function initialMemory(): ScalingMemory {
  return { lastChangeAt: Number.NEGATIVE_INFINITY, lowSince: undefined };
}

/** Decides, and returns the memory to pass with the next sample. */
export function decideScale(sample: ScalingSample, policy: ScalingPolicy, memory: ScalingMemory): { decision: ScalingDecision; memory: ScalingMemory } {
  const { min, max } = policy;
  const needed = workersNeeded(sample, policy);
  const desired = Math.min(max, Math.max(min, needed));
  const hold = (reason: string, next: ScalingMemory): { decision: ScalingDecision; memory: ScalingMemory } =>
    ({ decision: { at: sample.at, from: sample.current, to: sample.current, direction: 'hold', needed, reason }, memory: next });

  if (sample.current < min || sample.current > max) {
    const to = Math.min(max, Math.max(min, sample.current));
    return { decision: { at: sample.at, from: sample.current, to, direction: to > sample.current ? 'up' : 'down', needed, reason: `outside the bounds ${min}–${max}` }, memory: { lastChangeAt: sample.at, lowSince: undefined } };
  }
  if (desired > sample.current) {
    if (sample.at - memory.lastChangeAt < (policy.upCooldownMs ?? 2000)) return hold('cooling down after a change', { ...memory, lowSince: undefined });
    return {
      decision: { at: sample.at, from: sample.current, to: desired, direction: 'up', needed, reason: describe(sample, needed) },
      memory: { lastChangeAt: sample.at, lowSince: undefined },
    };
  }
  if (desired < sample.current) {
    const lowSince = memory.lowSince ?? sample.at;
    const cooldown = policy.downCooldownMs ?? 30_000;
    if (sample.at - lowSince < cooldown || sample.at - memory.lastChangeAt < cooldown) return hold(`fewer would do; waiting ${cooldown} ms to be sure`, { ...memory, lowSince });
    return {
      decision: { at: sample.at, from: sample.current, to: desired, direction: 'down', needed, reason: describe(sample, needed) },
      memory: { lastChangeAt: sample.at, lowSince: undefined },
    };
  }
  return hold('as needed', { ...memory, lowSince: undefined });
}

function workersNeeded(sample: ScalingSample, policy: ScalingPolicy): number {
  if (sample.busyMsPerTask === undefined) {
    // Nothing finished yet to measure: a backlog asks for one more worker each time; none asks for nothing.
    return sample.backlog > 0 ? sample.current + 1 : 0;
  }
  const arriving = Math.max(0, sample.completedPerSec + sample.backlogGrowthPerSec);
  const toClear = sample.backlog / (policy.drainSeconds ?? 10);
  const busySeconds = (sample.busyMsPerTask / 1000) * (arriving + toClear);
  return Math.ceil(busySeconds / (policy.targetUtilisation ?? 0.75));
}

function describe(sample: ScalingSample, needed: number): string {
  const perTask = sample.busyMsPerTask === undefined ? 'not measured yet' : `${sample.busyMsPerTask.toFixed(1)} ms busy per task`;
  return `backlog ${sample.backlog} (${sample.backlogGrowthPerSec >= 0 ? '+' : ''}${sample.backlogGrowthPerSec.toFixed(1)}/s), ${sample.completedPerSec.toFixed(1)} done/s, ${perTask}: ${needed} needed`;
}

/** Checks a policy's bounds. @throws `CONFIG_INVALID`-style messages via the caller */
export function policyProblem(policy: ScalingPolicy): string | undefined {
  if (!Number.isInteger(policy.min) || policy.min < 1) return `min must be an integer ≥ 1, got ${policy.min}`;
  if (!Number.isInteger(policy.max) || policy.max < policy.min || policy.max > 1024) return `max must be an integer from min (${policy.min}) to 1024, got ${policy.max}`;
  const utilisation = policy.targetUtilisation ?? 0.75;
  if (!(utilisation > 0 && utilisation <= 1)) return `targetUtilisation must be in (0, 1], got ${utilisation}`;
  return undefined;
}
