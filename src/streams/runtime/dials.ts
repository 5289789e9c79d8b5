/**
 * @module streams/runtime/dials
 * The live settings of a micro-batch stream and their admin channel: a
 * control topic `<name>.dials` on the Log. Anyone with the Log (the
 * `millrace dial` command, an admin API) appends a change; the running
 * stream tails the topic and applies each change to the next bucket it
 * forms. Changes are records, so they are durable, ordered, and replayed
 * on restart: a stream restarted after a dial change starts with it.
 */
import { hasCode, MillraceError } from '../../core/errors.js';
import type { Log, LogRecord } from '../../ports/log.js';

/** The dials. */
export interface MicroBatchDials {
  /** A bucket closes when it holds this many messages. */
  maxMessages: number;
  /** …or when its first message has waited this long (ms, processing time). */
  maxWaitMs: number;
  /** Buckets processed at once. */
  concurrency: number;
}

/** The dials of a micro-batch stream started without any. */
export const DEFAULT_DIALS: Readonly<MicroBatchDials> = { maxMessages: 1000, maxWaitMs: 1000, concurrency: 1 };

export const DIAL_NAMES: ReadonlyArray<keyof MicroBatchDials> = ['maxMessages', 'maxWaitMs', 'concurrency'];

/** The control topic of micro-batch stream `name`. */
export function dialsTopic(name: string): string {
  return `${name}.dials`;
}

/** Checks a (partial) change; throws `CONFIG_INVALID` naming the dial. */
export function checkDials(change: Partial<Record<string, unknown>>): Partial<MicroBatchDials> {
  const checked: Partial<MicroBatchDials> = {};
  for (const [name, value] of Object.entries(change)) {
    if (!(DIAL_NAMES as readonly string[]).includes(name)) {
      throw new MillraceError('CONFIG_INVALID', `unknown dial ${JSON.stringify(name)}; the dials are ${DIAL_NAMES.join(', ')}`, { field: name });
    }
    const minimum = name === 'maxWaitMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      throw new MillraceError('CONFIG_INVALID', `dial ${name} must be a whole number ≥ ${minimum}, got ${String(value)}`, { field: name });
    }
    checked[name as keyof MicroBatchDials] = value;
  }
  return checked;
}

/** Parses `key=value` arguments (as `millrace dial` takes them). */
export function parseDialArguments(args: readonly string[]): Partial<MicroBatchDials> {
  const change: Record<string, unknown> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) throw new MillraceError('CONFIG_INVALID', `a dial is key=value, got ${JSON.stringify(arg)}`, { field: arg });
    const text = arg.slice(at + 1);
    change[arg.slice(0, at)] = /^\d+$/.test(text) ? Number(text) : text;
  }
  if (Object.keys(change).length === 0) throw new MillraceError('CONFIG_INVALID', `give at least one key=value; the dials are ${DIAL_NAMES.join(', ')}`);
  return checkDials(change);
}

/**
 * Appends a dial change for stream `name` (creating its control topic).
 * `by` names who made it, for the audit log ({@link dialChanges}); the
 * record's timestamp says when.
 *
 * @example
 * ```ts
 * await setDials(log, 'orders', { maxMessages: 500, concurrency: 4 }, 'alice')
 * ```
 */
export async function setDials(log: Log, name: string, change: Partial<MicroBatchDials>, by?: string): Promise<void> {
  const checked = checkDials(change);
  await log.createTopic(dialsTopic(name), { partitions: 1 });
  await log.append(dialsTopic(name), [{ value: by === undefined ? checked : { ...checked, [BY]: by } }]);
}

/** The field of a control record naming who made the change: not a dial, so the fold leaves it out. */
const BY = 'by';

/** One dial's change, as the audit log shows it. */
export interface StreamDialChange {
  dial: keyof MicroBatchDials;
  from: number;
  to: number;
  /** Who made it: a token's name, or `unknown` for a change recorded without one. */
  by: string;
  at: number;
}

/** Every change to stream `name`'s dials, oldest first, each dial on its own line with the value it replaced. */
export async function dialChanges(log: Log, name: string, initial: Partial<MicroBatchDials> = {}): Promise<StreamDialChange[]> {
  let dials: MicroBatchDials = { ...DEFAULT_DIALS, ...checkDials(initial) };
  const changes: StreamDialChange[] = [];
  for (const record of await readControlRecords(log, name)) {
    const next = applyDialChange(dials, record.value);
    const by = (record.value as Record<string, unknown> | null)?.[BY];
    for (const dial of DIAL_NAMES) {
      if (next[dial] !== dials[dial]) changes.push({ dial, from: dials[dial], to: next[dial], by: typeof by === 'string' ? by : 'unknown', at: record.timestamp });
    }
    dials = next;
  }
  return changes;
}

/**
 * The dials micro-batch stream `name` uses for the buckets it forms next:
 * the defaults, then `initial` (what it was started with), then every
 * change in its control topic in order — the fold the stream itself does.
 * A malformed change is skipped, as the stream skips it.
 */
export async function currentDials(log: Log, name: string, initial: Partial<MicroBatchDials> = {}): Promise<MicroBatchDials> {
  let dials: MicroBatchDials = { ...DEFAULT_DIALS, ...checkDials(initial) };
  for (const record of await readControlRecords(log, name)) dials = applyDialChange(dials, record.value);
  return dials;
}

/** Every record of stream `name`'s control topic (none if it has none yet). */
async function readControlRecords(log: Log, name: string): Promise<LogRecord[]> {
  const topic = dialsTopic(name);
  const info = await log.topicInfo(topic).catch((error: unknown) => {
    if (hasCode(error, 'LOG_TOPIC_NOT_FOUND')) return undefined;
    throw error;
  });
  const all: LogRecord[] = [];
  if (info === undefined) return all;
  for (let offset = 0; offset < info.endOffsets[0]!;) {
    const records = await log.read(topic, 0, offset, { limit: 1000 });
    if (records.length === 0) break;
    all.push(...records);
    offset += records.length;
  }
  return all;
}

/** `dials` with one control-topic change applied; a malformed change leaves them as they are. */
export function applyDialChange(dials: MicroBatchDials, change: unknown): MicroBatchDials {
  try {
    const { [BY]: _by, ...values } = change as Record<string, unknown>;
    return { ...dials, ...checkDials(values) };
  } catch {
    // `setDials` and `millrace dial` check before they append; anything else that landed there is ignored.
    return dials;
  }
}
