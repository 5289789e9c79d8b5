/**
 * @module jobs/schedule
 * Processes started on a cron schedule. A fire time names the process it
 * starts (`sched.<schedule>.<epoch ms>`), and starting an id twice starts
 * it once, so two servers running the same schedule never start it twice;
 * the last fire time handled is checkpointed, so a server that was down
 * knows what it missed and follows the schedule's catch-up policy:
 *
 * | catchUp | missed fire times |
 * | --- | --- |
 * | `'skip'` | none started; the schedule goes on from now |
 * | `'once'` (default) | the latest one started |
 * | `'each'` | every one started, oldest first (at most `maxCatchUp`) |
 */
import { Cron } from 'croner';
import { MillraceError } from '../core/errors.js';

export type CatchUpPolicy = 'skip' | 'once' | 'each';

/** A fire time this recent is on time, not missed (a scheduler checks at least this often). */
export const ON_TIME_MS = 60_000;

export interface ScheduleDefinition<I = unknown> {
  readonly kind: 'millrace.schedule';
  /** Letters, digits, `-` and `_`: part of the process ids it starts. */
  name: string;
  /** Five or six fields (`'0 9 * * 1-5'`: 9:00 on weekdays). */
  cron: string;
  /** IANA zone the cron reads in. @defaultValue `'UTC'` */
  timezone: string;
  /** Process definition to start, and its version. @defaultValue the latest registered */
  process: string;
  version?: number;
  /** The process input for a fire time. */
  input: (fireTime: number) => I;
  catchUp: CatchUpPolicy;
  /** With `'each'`, at most this many missed runs are started. @defaultValue 100 */
  maxCatchUp: number;
}

export interface DefineScheduleOptions<I> {
  name: string;
  cron: string;
  timezone?: string;
  process: string;
  version?: number;
  /** A value, or a function of the fire time (epoch ms). @defaultValue `{ scheduledFor: fireTime }` */
  input?: I | ((fireTime: number) => I);
  catchUp?: CatchUpPolicy;
  maxCatchUp?: number;
}

/** @throws `CONFIG_INVALID` naming the schedule and what is wrong */
export function defineSchedule<I = unknown>(options: DefineScheduleOptions<I>): ScheduleDefinition<I> {
  const where = `schedule "${options.name}"`;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.name)) throw invalid(`${where}: the name may only hold letters, digits, "-" and "_" (up to 64)`);
  const timezone = options.timezone ?? 'UTC';
  try {
    new Cron(options.cron, { timezone, paused: true }).nextRun();
  } catch (error) {
    throw invalid(`${where}: cron "${options.cron}" (${timezone}) is not valid: ${(error as Error).message}`);
  }
  const catchUp = options.catchUp ?? 'once';
  if (!['skip', 'once', 'each'].includes(catchUp)) throw invalid(`${where}: catchUp must be skip, once or each`);
  const given = options.input;
  const input = typeof given === 'function' ? (given as (fireTime: number) => I) : given === undefined ? ((fireTime: number) => ({ scheduledFor: fireTime }) as I) : () => given;
  return { kind: 'millrace.schedule', name: options.name, cron: options.cron, timezone, process: options.process, version: options.version, input, catchUp, maxCatchUp: options.maxCatchUp ?? 100 };
}

export function isScheduleDefinition(value: unknown): value is ScheduleDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'millrace.schedule';
}

/** The id of the process a fire time starts. */
export function scheduledProcessId(schedule: string, fireTime: number): string {
  return `sched.${schedule}.${fireTime}`;
}

/**
 * Fire times to start now: those after `handledUpTo` and at or before
 * `now`, thinned by the catch-up policy. Oldest first.
 */
export function dueFireTimes(schedule: ScheduleDefinition, handledUpTo: number, now: number): number[] {
  const cron = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
  const due: number[] = [];
  let cursor = new Date(handledUpTo);
  for (;;) {
    const next = cron.nextRun(cursor);
    if (next === null || next.getTime() > now) break;
    due.push(next.getTime());
    // Keep only what the policy can use: the newest, or the newest `maxCatchUp`.
    if (due.length > schedule.maxCatchUp) due.shift();
    cursor = next;
  }
  switch (schedule.catchUp) {
    case 'skip':
      // Only what fell due moments ago is on time; anything older was missed.
      return due.filter((fireTime) => now - fireTime <= ON_TIME_MS);
    case 'once':
      return due.slice(-1);
    case 'each':
      return due;
  }
}

/** The next fire time after `after`, for sleeping until it. */
export function nextFireTime(schedule: ScheduleDefinition, after: number): number | undefined {
  return new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }).nextRun(new Date(after))?.getTime();
}

function invalid(message: string): MillraceError {
  return new MillraceError('CONFIG_INVALID', message, { field: 'schedule' });
}
