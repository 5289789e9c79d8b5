import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { MemoryTaskQueue } from '../../../src/adapters/embedded/memory-task-queue.js';
import { parsePrescaleWindow, prescaleMin } from '../../../src/workers/scaler/prescale.js';
import { QueueScaler } from '../../../src/workers/scaler/queue-scaler.js';
import type { ScalingDecision } from '../../../src/workers/scaler/scaling-policy.js';

describe('QueueScaler (cluster)', () => {
  it('asks for workers from the backlog and task run times, divided over each worker\'s threads, and tells the hook', async () => {
    const clock = new ManualClock(Date.parse('2026-11-23T10:00:00Z'));
    const queue = new MemoryTaskQueue({ clock });
    const changes: ScalingDecision[] = [];
    const scaler = new QueueScaler({
      queue, queueName: 'tasks', clock, logger: silentLogger, threadsPerWorker: 4,
      policy: { min: 1, max: 50, targetUtilisation: 0.5, drainSeconds: 10, upCooldownMs: 0, downCooldownMs: 60_000 },
      onChange: (decision) => void changes.push(decision),
    });
    await scaler.sample();
    await queue.publish('tasks', Array.from({ length: 400 }, (_, i) => ({ name: 'work', payload: i })));
    for (let i = 0; i < 100; i++) scaler.taskEnded({ durationMs: 200 });
    await clock.advance(10_000);
    const decision = await scaler.sample();
    // 10 done/s + 40 growth/s + 400/10 to clear = 90 tasks/s × 0.2 s / 4 threads = 4.5 workers busy / 0.5 → 9
    assert.deepEqual([decision?.direction, decision?.to], ['up', 9]);
    assert.equal(scaler.status().desired, 9);
    assert.deepEqual(changes.map((c) => c.to), [9]);
    await queue.close();
  });

  it('keeps the pre-scale floor inside its window, and only there', () => {
    const windows = [{ cron: '45 8 * * 1-5', timezone: 'Europe/Berlin', min: 20, forMinutes: 120 }];
    assert.equal(prescaleMin(windows, Date.parse('2026-11-23T07:44:00Z')), 0, 'Monday 8:44 Berlin: not yet');
    assert.equal(prescaleMin(windows, Date.parse('2026-11-23T07:45:00Z')), 20, '8:45: open');
    assert.equal(prescaleMin(windows, Date.parse('2026-11-23T09:44:00Z')), 20, '10:44: still open');
    assert.equal(prescaleMin(windows, Date.parse('2026-11-23T09:46:00Z')), 0, '10:46: closed');
    assert.equal(prescaleMin(windows, Date.parse('2026-11-22T07:50:00Z')), 0, 'Sunday: none');
  });

  it('raises its desired count to the pre-scale floor ahead of the peak', async () => {
    const clock = new ManualClock(Date.parse('2026-11-23T07:40:00Z'));
    const queue = new MemoryTaskQueue({ clock });
    const scaler = new QueueScaler({
      queue, queueName: 'tasks', clock, logger: silentLogger, policy: { min: 2, max: 30, upCooldownMs: 0 },
      prescale: [{ cron: '45 8 * * 1-5', timezone: 'Europe/Berlin', min: 20, forMinutes: 120 }],
    });
    await scaler.sample();
    await clock.advance(60_000);
    assert.equal((await scaler.sample())?.direction, 'hold');
    await clock.advance(5 * 60_000);
    const decision = await scaler.sample();
    assert.deepEqual([decision?.direction, decision?.to], ['up', 20]);
    await queue.close();
  });

  it('reads a pre-scale window written on one line (millrace server --prescale), and names what is wrong', () => {
    assert.deepEqual(parsePrescaleWindow('45 8 * * 1-5 tz=Europe/Berlin min=20 for=2h'), { cron: '45 8 * * 1-5', timezone: 'Europe/Berlin', min: 20, forMinutes: 120 });
    assert.deepEqual(parsePrescaleWindow(' 0 9 * * *  min=3 for=90m '), { cron: '0 9 * * *', min: 3, forMinutes: 90 });
    assert.throws(() => parsePrescaleWindow('0 9 * * * for=90'), { code: 'CONFIG_INVALID', message: /min= is missing/ });
    assert.throws(() => parsePrescaleWindow('0 9 * * * min=3'), { code: 'CONFIG_INVALID', message: /for= is missing/ });
    assert.throws(() => parsePrescaleWindow('0 9 * * * min=3 for=soon'), { code: 'CONFIG_INVALID', message: /for=soon is not a number/ });
    assert.throws(() => parsePrescaleWindow('0 9 * * * min=0 for=5'), { code: 'CONFIG_INVALID', message: /min must be an integer ≥ 1/ });
    assert.throws(() => parsePrescaleWindow('0 99 * * * min=2 for=5'), { code: 'CONFIG_INVALID', message: /cron "0 99 \* \* \*" is not valid/ });
    assert.throws(() => parsePrescaleWindow('0 9 * * * min=2 for=5 zone=UTC'), { code: 'CONFIG_INVALID', message: /unknown setting "zone"/ });
    assert.throws(() => parsePrescaleWindow('min=2 for=5'), { code: 'CONFIG_INVALID', message: /no cron expression/ });
  });
});
