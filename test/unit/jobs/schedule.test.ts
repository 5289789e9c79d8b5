import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SqliteCheckpointStore } from '../../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { defineSchedule, dueFireTimes, nextFireTime, scheduledProcessId } from '../../../src/jobs/schedule.js';
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

const at = (iso: string): number => Date.parse(iso);
const hourly = (catchUp: 'skip' | 'once' | 'each') => defineSchedule({ name: `hourly-${catchUp}`, cron: '0 * * * *', process: 'report', catchUp });

describe('schedules', () => {
  it('reads cron in its time zone, daylight saving included', () => {
    const weekdays9 = defineSchedule({ name: 'morning', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', process: 'report' });
    assert.equal(nextFireTime(weekdays9, at('2026-11-21T12:00:00Z')), at('2026-11-23T08:00:00Z'), 'Saturday → Monday 9:00 CET');
    assert.equal(nextFireTime(weekdays9, at('2026-07-01T12:00:00Z')), at('2026-07-02T07:00:00Z'), '9:00 CEST is 7:00 UTC');
  });

  it('starts missed runs as its catch-up policy says', () => {
    const from = at('2026-11-22T00:30:00Z');
    const now = at('2026-11-22T04:00:20Z'); // 00:30 → 04:00:20: 01, 02, 03 missed, 04 on time
    assert.deepEqual(dueFireTimes(hourly('each'), from, now), [1, 2, 3, 4].map((h) => at(`2026-11-22T0${h}:00:00Z`)));
    assert.deepEqual(dueFireTimes(hourly('once'), from, now), [at('2026-11-22T04:00:00Z')]);
    assert.deepEqual(dueFireTimes(hourly('skip'), from, now), [at('2026-11-22T04:00:00Z')], 'the on-time run still starts');
    assert.deepEqual(dueFireTimes(hourly('skip'), from, at('2026-11-22T04:05:00Z')), [], 'all of them missed');
    assert.deepEqual(dueFireTimes(hourly('each'), at('2026-11-22T04:00:00Z'), at('2026-11-22T04:59:59Z')), [], 'nothing after the last handled');
  });

  it('names what is wrong with a definition', () => {
    assert.throws(() => defineSchedule({ name: 'bad name', cron: '* * * * *', process: 'p' }), { code: 'CONFIG_INVALID', message: /schedule "bad name": the name/ });
    assert.throws(() => defineSchedule({ name: 'x', cron: '61 * * * *', process: 'p' }), { code: 'CONFIG_INVALID', message: /schedule "x": cron "61 \* \* \* \*" \(UTC\) is not valid/ });
    assert.throws(() => defineSchedule({ name: 'x', cron: '* * * * *', timezone: 'Mars/Olympus', process: 'p' }), { code: 'CONFIG_INVALID' });
  });

  describe('two servers running the same schedule', () => {
    let dir: TempDir;
    let checkpoints: SqliteCheckpointStore;
    before(() => {
      dir = createTempDir();
      checkpoints = new SqliteCheckpointStore({ path: dir.file('cp.db') });
    });
    after(async () => {
      await checkpoints.close();
      dir.remove();
    });

    it('start each fire time once, and a server that was down catches up', async () => {
      const clock = new ManualClock(at('2026-11-22T00:30:00Z'));
      const started = new Map<string, number>();
      const start = async (_definition: string, _input: unknown, options: { processId: string }): Promise<string> => {
        started.set(options.processId, (started.get(options.processId) ?? 0) + 1);
        return options.processId;
      };
      const schedule = hourly('each');
      const servers = [0, 1].map(() => new Scheduler({ schedules: [schedule], start, checkpoints, clock, logger: silentLogger }));
      assert.deepEqual(await servers[0]!.check(), [], 'first sight: nothing missed');
      await clock.advance(60 * 60_000); // 01:30
      const [a, b] = await Promise.all(servers.map((s) => s.check()));
      const once = scheduledProcessId(schedule.name, at('2026-11-22T01:00:00Z'));
      assert.deepEqual([...a!, ...b!].filter((id) => id === once).length >= 1, true);
      // Both may have called start for the same id (that is what makes it safe); the id makes it one process.
      assert.deepEqual([...started.keys()], [once]);
      await clock.advance(3 * 60 * 60_000); // 04:30, both were "down"
      await servers[1]!.check();
      assert.deepEqual([...started.keys()].slice(1), [2, 3, 4].map((h) => scheduledProcessId(schedule.name, at(`2026-11-22T0${h}:00:00Z`))));
      assert.deepEqual(await servers[0]!.check(), [], 'the other server finds them handled');
    });
  });
});
