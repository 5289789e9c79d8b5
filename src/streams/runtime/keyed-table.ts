/**
 * @module streams/runtime/keyed-table
 * A keyed table materialised from a topic: per record key, the latest
 * value (a `null` value deletes the key, as in a compacted changelog).
 * `catchUp` reads to the topic's end; `follow` keeps reading in the
 * background. Pipelines enrich events from it with `lookup` (a map step).
 *
 * A lookup reads the table as it is when the event passes, so a replay
 * sees the table as it is during the replay, not as it was: enrichment
 * from a table is not part of what replay reproduces exactly.
 */
import { SystemClock, type Clock } from '../../core/clock.js';
import type { Log, LogRecord } from '../../ports/log.js';

export interface KeyedTable<V> {
  readonly topic: string;
  get(key: string): V | undefined;
  has(key: string): boolean;
  readonly size: number;
  entries(): IterableIterator<[string, V]>;
  /** Reads every record appended so far. */
  catchUp(): Promise<void>;
  /** Keeps reading new records every `pollIntervalMs` until `stop`. */
  follow(options?: { pollIntervalMs?: number; clock?: Clock }): void;
  stop(): Promise<void>;
}

/**
 * The table of `topic`. `valueOf` picks what is kept from a record (default: its value).
 *
 * @example
 * ```ts
 * const users = await materializeTable<User>(log, 'users')
 * users.follow()
 * stream<Click>('clicks-by-country', { topic: 'clicks' })
 *   .map(lookup(users, (click) => click.user, (click, user) => ({ ...click, country: user?.country ?? 'unknown' })))
 * ```
 */
export async function materializeTable<V>(log: Log, topic: string, valueOf: (record: LogRecord) => V | null = (record) => record.value as V | null): Promise<KeyedTable<V>> {
  const rows = new Map<string, V>();
  const { partitions } = await log.topicInfo(topic);
  const offsets = new Array<number>(partitions).fill(0);
  let following: { stop: AbortController; loop: Promise<void> } | undefined;
  const catchUp = async (): Promise<void> => {
    for (let partition = 0; partition < partitions; partition++) {
      for (;;) {
        const records = await log.read(topic, partition, offsets[partition]!, { limit: 1000 });
        if (records.length === 0) break;
        for (const record of records) {
          if (record.key === undefined) continue;
          const value = valueOf(record);
          if (value === null) rows.delete(record.key);
          else rows.set(record.key, value);
        }
        offsets[partition]! += records.length;
      }
    }
  };
  await catchUp();
  return {
    topic,
    get: (key) => rows.get(key),
    has: (key) => rows.has(key),
    get size() {
      return rows.size;
    },
    entries: () => rows.entries(),
    catchUp,
    follow: (options = {}) => {
      if (following !== undefined) return;
      const clock = options.clock ?? new SystemClock();
      const stop = new AbortController();
      const loop = (async () => {
        while (!stop.signal.aborted) {
          await catchUp();
          await clock.sleep(options.pollIntervalMs ?? 50, stop.signal).catch(() => undefined);
        }
      })();
      following = { stop, loop };
    },
    stop: async () => {
      if (following === undefined) return;
      following.stop.abort();
      await following.loop;
      following = undefined;
    },
  };
}

/** A map step that enriches each event with its table row (`undefined` when the key is absent). */
export function lookup<E, V, R>(table: KeyedTable<V>, keyOf: (event: E) => string, combine: (event: E, row: V | undefined) => R): (event: E) => R {
  return (event) => combine(event, table.get(keyOf(event)));
}
