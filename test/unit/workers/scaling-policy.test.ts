import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideScale, initialMemory, policyProblem, type ScalingMemory, type ScalingPolicy, type ScalingSample } from '../../../src/workers/scaler/scaling-policy.js';

const policy: ScalingPolicy = { min: 1, max: 8, targetUtilisation: 0.5, drainSeconds: 10, upCooldownMs: 2000, downCooldownMs: 30_000 };
const sample = (over: Partial<ScalingSample>): ScalingSample => ({ at: 0, current: 2, backlog: 0, backlogGrowthPerSec: 0, completedPerSec: 0, busyMsPerTask: 100, ...over });

describe('decideScale', () => {
  it('sizes for arriving work plus clearing the backlog, within the bounds', () => {
    // (10 done/s + 5 growth/s + 100/10 to clear) × 0.1 s busy = 2.5 busy workers / 0.5 → 5
    const { decision } = decideScale(sample({ at: 10_000, completedPerSec: 10, backlogGrowthPerSec: 5, backlog: 100 }), policy, initialMemory());
    assert.deepEqual([decision.direction, decision.to, decision.needed], ['up', 5, 5]);
    const capped = decideScale(sample({ at: 10_000, backlog: 10_000 }), policy, initialMemory()).decision;
    assert.deepEqual([capped.direction, capped.to, capped.needed], ['up', 8, 200]);
  });

  it('grows by one when nothing has finished yet to measure, and asks for nothing without a backlog', () => {
    assert.equal(decideScale(sample({ at: 1, busyMsPerTask: undefined, backlog: 3 }), policy, initialMemory()).decision.to, 3);
    assert.equal(decideScale(sample({ at: 1, busyMsPerTask: undefined, backlog: 0, current: 1 }), policy, initialMemory()).decision.direction, 'hold');
  });

  it('waits for the up cool-down after a change', () => {
    const memory: ScalingMemory = { lastChangeAt: 9_000, lowSince: undefined };
    assert.equal(decideScale(sample({ at: 10_000, backlog: 1000 }), policy, memory).decision.direction, 'hold');
    assert.equal(decideScale(sample({ at: 11_000, backlog: 1000 }), policy, memory).decision.direction, 'up');
  });

  it('shrinks only after fewer have been enough for the whole down cool-down, without a break', () => {
    let memory = initialMemory();
    const idle = (at: number): ReturnType<typeof decideScale> => decideScale(sample({ at, current: 4, completedPerSec: 0 }), policy, memory);
    let step = idle(0);
    memory = step.memory;
    assert.equal(step.decision.direction, 'hold');
    step = idle(20_000);
    memory = step.memory;
    assert.equal(step.decision.direction, 'hold');
    // A burst in between resets the wait.
    step = decideScale(sample({ at: 25_000, current: 4, completedPerSec: 20 }), policy, memory);
    memory = step.memory;
    assert.equal(memory.lowSince, undefined);
    step = idle(40_000);
    memory = step.memory;
    assert.equal(step.decision.direction, 'hold', 'only 0 s since the burst');
    step = idle(70_001);
    assert.deepEqual([step.decision.direction, step.decision.to], ['down', 1]);
  });

  it('brings a size outside the bounds back inside', () => {
    assert.deepEqual([decideScale(sample({ at: 1, current: 12 }), policy, initialMemory()).decision.to], [8]);
  });

  it('names a bad policy', () => {
    assert.match(policyProblem({ min: 0, max: 2 })!, /min must be an integer ≥ 1/);
    assert.match(policyProblem({ min: 3, max: 2 })!, /max must be an integer from min \(3\)/);
    assert.match(policyProblem({ min: 1, max: 2, targetUtilisation: 1.5 })!, /targetUtilisation must be in \(0, 1\]/);
    assert.equal(policyProblem(policy), undefined);
  });
});
