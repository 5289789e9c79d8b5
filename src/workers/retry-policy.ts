/**
 * @module workers/retry-policy
 * When a failed task runs again. Exponential backoff with full jitter: the
 * jitter spreads retries of tasks that failed together (a dependency went
 * down) so they do not return together and knock it down again.
 */
import { MillraceError } from '../core/errors.js';
import type { TaskFailure } from '../core/failure.js';

/** Retry settings of a task or step. */
export interface RetryPolicy {
  /** Total attempts, the first included. @defaultValue 3 */
  maxAttempts: number;
  /** Delay before the first retry. @defaultValue 500 ms */
  initialDelayMs: number;
  /** Each retry waits this many times longer than the one before. @defaultValue 2 */
  factor: number;
  /** Upper bound of any delay. @defaultValue 60 000 ms */
  maxDelayMs: number;
  /** `'full'`: a random delay in [0, computed]; `'none'`: exactly the computed delay. @defaultValue 'full' */
  jitter: 'full' | 'none';
  /** Failure types (error codes or class names) never retried. @defaultValue [] */
  nonRetryable: readonly string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 60_000,
  jitter: 'full',
  nonRetryable: [],
};

/** Fills defaults and rejects nonsense with `CONFIG_INVALID`. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> = {}, where = 'retry policy'): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...partial };
  const positiveInt = (n: number): boolean => Number.isInteger(n) && n >= 1;
  if (!positiveInt(policy.maxAttempts)) invalid(where, 'maxAttempts', 'an integer ≥ 1', policy.maxAttempts);
  if (!(policy.initialDelayMs >= 0)) invalid(where, 'initialDelayMs', 'a number ≥ 0', policy.initialDelayMs);
  if (!(policy.factor >= 1)) invalid(where, 'factor', 'a number ≥ 1', policy.factor);
  if (!(policy.maxDelayMs >= policy.initialDelayMs)) invalid(where, 'maxDelayMs', 'a number ≥ initialDelayMs', policy.maxDelayMs);
  if (policy.jitter !== 'full' && policy.jitter !== 'none') invalid(where, 'jitter', "'full' or 'none'", policy.jitter);
  return policy;
}

/** Whether a task that failed on `attempt` should run again. */
export function shouldRetry(policy: RetryPolicy, failure: TaskFailure, attempt: number): boolean {
  return failure.retryable && !policy.nonRetryable.includes(failure.type) && attempt < policy.maxAttempts;
}

/**
 * Delay before the attempt after `attempt` (1-based).
 * @param random a number in [0, 1); injected so tests are deterministic
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const computed = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return policy.jitter === 'full' ? Math.floor(random() * computed) : computed;
}

function invalid(where: string, field: string, expected: string, actual: unknown): never {
  throw new MillraceError('CONFIG_INVALID', `${where}: ${field} must be ${expected}, got ${String(actual)}`, { field });
}
