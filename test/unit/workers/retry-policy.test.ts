import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRetryPolicy, retryDelayMs, shouldRetry } from '../../../src/workers/retry-policy.js';

describe('retry policy', () => {
  const policy = resolveRetryPolicy({ maxAttempts: 4, initialDelayMs: 100, factor: 3, maxDelayMs: 1000, jitter: 'none' });
  const failure = { type: 'Error', message: 'boom', retryable: true };

  it('backs off exponentially up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4].map((a) => retryDelayMs(policy, a)), [100, 300, 900, 1000]);
  });

  it('full jitter stays within [0, computed delay]', () => {
    const jittered = { ...policy, jitter: 'full' as const };
    assert.equal(retryDelayMs(jittered, 2, () => 0), 0);
    assert.equal(retryDelayMs(jittered, 2, () => 0.5), 150);
    assert.ok(retryDelayMs(jittered, 2, () => 0.9999) < 300);
  });

  it('retries retryable failures until the last attempt only', () => {
    assert.equal(shouldRetry(policy, failure, 3), true);
    assert.equal(shouldRetry(policy, failure, 4), false);
    assert.equal(shouldRetry(policy, { ...failure, retryable: false }, 1), false);
    assert.equal(shouldRetry({ ...policy, nonRetryable: ['Error'] }, failure, 1), false);
  });

  it('rejects nonsense with CONFIG_INVALID naming the field', () => {
    assert.throws(() => resolveRetryPolicy({ maxAttempts: 0 }), { code: 'CONFIG_INVALID', message: /maxAttempts/ });
    assert.throws(() => resolveRetryPolicy({ factor: 0.5 }), { code: 'CONFIG_INVALID', message: /factor/ });
  });
});
