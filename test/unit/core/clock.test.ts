import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';

describe('ManualClock', () => {
  it('fires timers in due order, each at its own time', async () => {
    const clock = new ManualClock(1000);
    const fired: Array<[string, number]> = [];
    clock.setTimer(() => fired.push(['b', clock.now()]), 200);
    clock.setTimer(() => fired.push(['a', clock.now()]), 100);
    clock.setTimer(() => fired.push(['c', clock.now()]), 300);
    await clock.advance(250);
    assert.deepEqual(fired, [['a', 1100], ['b', 1200]]);
    assert.equal(clock.now(), 1250);
    assert.equal(clock.pendingTimers, 1);
  });

  it('runs timers scheduled by timers within the same advance', async () => {
    const clock = new ManualClock();
    let ticks = 0;
    const tick = (): void => {
      ticks++;
      clock.setTimer(tick, 10);
    };
    clock.setTimer(tick, 10);
    await clock.advance(100);
    assert.equal(ticks, 10);
  });

  it('sleep resolves on advance and rejects on abort with TASK_ABORTED', async () => {
    const clock = new ManualClock();
    let woke = false;
    const slept = clock.sleep(50).then(() => (woke = true));
    await clock.advance(49);
    assert.equal(woke, false);
    await clock.advance(1);
    await slept;
    assert.equal(woke, true);

    const controller = new AbortController();
    const aborted = clock.sleep(1000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, { code: 'TASK_ABORTED' });
    assert.equal(clock.pendingTimers, 0);
  });
});
