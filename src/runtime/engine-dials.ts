/**
 * @module runtime/engine-dials
 * Live settings of a running deployment — worker concurrency, the
 * scaler's bounds, tagged routes — changed without a restart. A change is a
 * record on the log topic `millrace.dials` saying who changed what, when,
 * from what to what; the topic is at once the channel every server and
 * worker follows and the audit log. A process that starts later reads the
 * topic from the start, so it begins with the current values.
 */
import { MillraceError } from '../core/errors.js';
import type { Log, LogRecord } from '../ports/log.js';
import { validateRoutes, type TaskRoute } from '../jobs/task-routing.js';

export const ENGINE_DIALS_TOPIC = 'millrace.dials';

/** The engine's dials and their values. */
export interface EngineDials {
  /** Tasks in flight at once per worker (each queue it consumes). */
  'workers.concurrency'?: number;
  /** Bounds of embedded autoscaling, in threads. */
  'scaler.min'?: number;
  'scaler.max'?: number;
  /** Shares of task types sent to tagged workers. */
  routes?: TaskRoute[];
}

export type DialName = keyof EngineDials;
export const DIAL_NAMES: readonly DialName[] = ['workers.concurrency', 'scaler.min', 'scaler.max', 'routes'];

/** One change, as recorded. */
export interface DialChange {
  dial: DialName;
  from: unknown;
  to: unknown;
  by: string;
  at: number;
}

/** @throws `CONFIG_INVALID` naming the dial and the value expected */
export function checkDial(dial: string, value: unknown): { dial: DialName; value: unknown } {
  if (!(DIAL_NAMES as readonly string[]).includes(dial)) throw invalid(`unknown dial "${dial}" (known: ${DIAL_NAMES.join(', ')})`);
  const name = dial as DialName;
  if (name === 'routes') {
    if (!Array.isArray(value)) throw invalid('routes must be a list of { task, tag, share }');
    return { dial: name, value: validateRoutes(value as TaskRoute[]) };
  }
  const max = name === 'workers.concurrency' ? 100_000 : 1024;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw invalid(`${name} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  return { dial: name, value };
}

/** Records a change (after checking it) and returns it. */
export async function changeDial(log: Log, dial: string, value: unknown, by: string, now: number): Promise<DialChange> {
  const checked = checkDial(dial, value);
  const current = foldDials(await readDialChanges(log));
  const change: DialChange = { dial: checked.dial, from: current[checked.dial] ?? null, to: checked.value, by, at: now };
  await log.append(ENGINE_DIALS_TOPIC, [{ key: checked.dial, value: change, timestamp: now }]);
  return change;
}

/** Every change so far, oldest first: the audit log. */
export async function readDialChanges(log: Log): Promise<DialChange[]> {
  await log.createTopic(ENGINE_DIALS_TOPIC, { partitions: 1 });
  const changes: DialChange[] = [];
  for (let offset = 0; ;) {
    const page = await log.read(ENGINE_DIALS_TOPIC, 0, offset, { limit: 1000 });
    for (const record of page) {
      const change = asChange(record);
      if (change !== undefined) changes.push(change);
    }
    if (page.length < 1000) return changes;
    offset = page[page.length - 1]!.offset + 1;
  }
}

/** The values the changes leave. */
export function foldDials(changes: readonly DialChange[]): EngineDials {
  const dials: Record<string, unknown> = {};
  for (const change of changes) dials[change.dial] = change.to;
  return dials as EngineDials;
}

/**
 * Applies the current values, then every change as it comes, until
 * `signal` aborts. A record that fails its checks (written by hand, or by
 * an older version) is skipped, never applied.
 */
export async function followDials(log: Log, apply: (dials: EngineDials, change: DialChange | undefined) => Promise<void> | void, signal: AbortSignal): Promise<void> {
  const past = await readDialChanges(log);
  if (past.length > 0) await apply(foldDials(past), undefined);
  const from = (await log.topicInfo(ENGINE_DIALS_TOPIC)).endOffsets[0] ?? 0;
  const seen = [...past];
  for await (const record of log.tail(ENGINE_DIALS_TOPIC, 0, from, { signal })) {
    const change = asChange(record);
    if (change === undefined) continue;
    seen.push(change);
    await apply(foldDials(seen), change);
  }
}

function asChange(record: LogRecord): DialChange | undefined {
  const value = record.value as Partial<DialChange> | null;
  if (value === null || typeof value !== 'object' || typeof value.dial !== 'string') return undefined;
  try {
    const checked = checkDial(value.dial, value.to);
    return { dial: checked.dial, from: value.from ?? null, to: checked.value, by: String(value.by ?? 'unknown'), at: Number(value.at ?? record.timestamp) };
  } catch {
    return undefined;
  }
}

function invalid(message: string): MillraceError {
  return new MillraceError('CONFIG_INVALID', message, { field: 'dial' });
}
