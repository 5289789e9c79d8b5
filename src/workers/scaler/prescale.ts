/**
 * @module workers/scaler/prescale
 * Known peaks, scaled for ahead of time: from each fire time of a cron
 * schedule, for `forMinutes`, the scaler keeps at least `min` workers
 * ("everyone starts at 9": `{ cron: '45 8 * * 1-5', timezone: 'Europe/Berlin', min: 20, forMinutes: 120 }`).
 */
import { Cron } from 'croner';
import { MillraceError } from '../../core/errors.js';

export interface PrescaleWindow {
  cron: string;
  /** @defaultValue `'UTC'` */
  timezone?: string;
  /** Workers to keep at least, inside the window. */
  min: number;
  forMinutes: number;
}

/** The largest `min` of the windows open at `now`, or 0. */
export function prescaleMin(windows: readonly PrescaleWindow[], now: number): number {
  let floor = 0;
  for (const window of windows) {
    const cron = new Cron(window.cron, { timezone: window.timezone ?? 'UTC', paused: true });
    // The latest fire time at or before now: step back from the window's length before now.
    const from = new Date(now - window.forMinutes * 60_000);
    const fire = cron.nextRun(from);
    if (fire !== null && fire.getTime() <= now) floor = Math.max(floor, window.min);
  }
  return floor;
}

/** @throws `CONFIG_INVALID` naming the window */
export function validatePrescale(windows: readonly PrescaleWindow[]): void {
  windows.forEach((window, i) => {
    const where = `prescale window ${i + 1}`;
    try {
      new Cron(window.cron, { timezone: window.timezone ?? 'UTC', paused: true }).nextRun();
    } catch (error) {
      throw new MillraceError('CONFIG_INVALID', `${where}: cron "${window.cron}" is not valid: ${(error as Error).message}`, { field: 'prescale' });
    }
    if (!Number.isInteger(window.min) || window.min < 1) throw new MillraceError('CONFIG_INVALID', `${where}: min must be an integer ≥ 1`, { field: 'prescale' });
    if (!(window.forMinutes > 0)) throw new MillraceError('CONFIG_INVALID', `${where}: forMinutes must be > 0`, { field: 'prescale' });
  });
}

/**
 * A window written on one line, as `millrace server --prescale` takes it:
 * the cron expression, then `min=N` and `for=` minutes (`90`, `90m`, `2h`),
 * optionally `tz=Area/City`: `'45 8 * * 1-5 tz=Europe/Berlin min=20 for=2h'`.
 * @throws `CONFIG_INVALID` naming what is missing or wrong
 */
export function parsePrescaleWindow(text: string): PrescaleWindow {
  const words = text.trim().split(/\s+/);
  const cron = words.filter((word) => !word.includes('=')).join(' ');
  const settings = new Map<string, string>();
  for (const word of words.filter((w) => w.includes('='))) {
    const [key, value] = [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)];
    if (!['tz', 'min', 'for'].includes(key)) throw new MillraceError('CONFIG_INVALID', `prescale window "${text}": unknown setting "${key}" (known: tz, min, for)`, { field: 'prescale' });
    settings.set(key, value);
  }
  const fail = (problem: string): never => {
    throw new MillraceError('CONFIG_INVALID', `prescale window "${text}": ${problem}; write it as '<cron> [tz=Area/City] min=<workers> for=<minutes|Nh>'`, { field: 'prescale' });
  };
  if (cron === '') fail('no cron expression');
  const min = Number(settings.get('min') ?? fail('min= is missing'));
  const length = /^(\d+(?:\.\d+)?)(m|h)?$/.exec(settings.get('for') ?? fail('for= is missing')) ?? fail(`for=${settings.get('for')} is not a number of minutes or hours`);
  const window: PrescaleWindow = { cron, min, forMinutes: Number(length[1]) * (length[2] === 'h' ? 60 : 1), ...(settings.has('tz') ? { timezone: settings.get('tz')! } : {}) };
  validatePrescale([window]);
  return window;
}
