/**
 * @module streams/runtime/join-task
 * A running join: reads a topic whose records are parts of correlated
 * sets, buffers them in a `JoinBuffer`, and writes complete sets to one
 * topic and timed-out, incomplete ones to another. Each step commits its
 * output with the buffer and the input offsets (one transaction with an
 * atomic store), so a restart resumes without losing or repeating a set.
 *
 * The timeout runs on event time: the watermark is the highest event time
 * read (over all partitions) minus `maxOutOfOrderMs`.
 */
import { SystemClock, type Clock } from '../../core/clock.js';
import { decodeJson, encodeJsonBytes } from '../../core/json-codec.js';
import type { NewRecord } from '../../ports/log.js';
import { isStreamKey, type StreamKey } from '../stream-key.js';
import { JoinBuffer, type JoinedSet } from './join-buffer.js';
import { keyText } from './records.js';
import type { StreamStore } from './stream-store.js';

export interface JoinOptions<E> {
  name: string;
  store: StreamStore;
  source: { topic: string };
  /** The part names a complete set holds. */
  parts: readonly string[];
  partOf: (event: E) => string;
  keyOf: (event: E) => StreamKey;
  timeOf: (event: E) => number;
  timeoutMs: number;
  /** @defaultValue 0 */
  maxOutOfOrderMs?: number;
  /** Complete sets. */
  output: string;
  /** Incomplete sets, after the timeout. */
  incompleteOutput: string;
  clock?: Clock;
  /** @defaultValue 10 */
  pollIntervalMs?: number;
}

export interface RunningJoin {
  metrics(): { complete: number; incomplete: number; buffered: number; rejected: number };
  stop(): Promise<void>;
}

interface JoinState<E> {
  offsets: number[];
  maxTime: number | null;
  buffer: ReturnType<JoinBuffer<E>['snapshot']>;
  counters: { complete: number; incomplete: number; rejected: number };
}

/** Starts join `name` (resuming from its checkpoint). Records that are no part, or a repeated part, go to `<name>.dead-letters`. */
export async function startJoin<E>(options: JoinOptions<E>): Promise<RunningJoin> {
  const { name, store, source } = options;
  const clock = options.clock ?? new SystemClock();
  const buffer = new JoinBuffer<E>(options.parts, options.timeoutMs);
  const checkpointId = `${name}/join`;
  const partitions = (await store.log.topicInfo(source.topic)).partitions;
  for (const topic of [options.output, options.incompleteOutput, `${name}.dead-letters`]) await store.log.createTopic(topic, { partitions: 1 });
  const checkpoint = await store.checkpoints.load(checkpointId);
  let version = checkpoint?.version ?? 0;
  const state: JoinState<E> = checkpoint === undefined
    ? { offsets: new Array<number>(partitions).fill(0), maxTime: null, buffer: [], counters: { complete: 0, incomplete: 0, rejected: 0 } }
    : (decodeJson(checkpoint.state) as JoinState<E>);
  buffer.restore(state.buffer);

  const step = async (): Promise<number> => {
    const joined: NewRecord[] = [];
    const incomplete: NewRecord[] = [];
    const dead: NewRecord[] = [];
    const toRecord = (set: JoinedSet<E>): NewRecord => ({ key: keyText(set.key), value: set, timestamp: set.firstAt });
    let read = 0;
    for (let partition = 0; partition < partitions; partition++) {
      const records = await store.log.read(source.topic, partition, state.offsets[partition]!, { limit: 500 });
      read += records.length;
      for (const record of records) {
        const event = record.value as E;
        const reject = (reason: string): void => {
          state.counters.rejected++;
          dead.push({ value: { id: `${source.topic}/${partition}/${record.offset}`, reason, value: event } });
        };
        let key: unknown;
        let part: unknown;
        let time: unknown;
        try {
          [key, part, time] = [options.keyOf(event), options.partOf(event), options.timeOf(event)];
        } catch (error) {
          reject(`could not read key, part or time: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
        if (!isStreamKey(key) || typeof part !== 'string' || typeof time !== 'number' || !Number.isFinite(time)) {
          reject('an event needs a key, a part name and a finite time');
          continue;
        }
        const outcome = buffer.add(key, part, time, event);
        if (outcome.type === 'complete') {
          state.counters.complete++;
          joined.push(toRecord(outcome.set));
        } else if (outcome.type === 'unknown-part') reject(`unknown part ${JSON.stringify(part)}; the parts are ${options.parts.join(', ')}`);
        else if (outcome.type === 'duplicate-part') reject(`part ${JSON.stringify(part)} of key ${JSON.stringify(key)} arrived twice; the first is kept`);
        if (state.maxTime === null || time > state.maxTime) state.maxTime = time;
      }
      state.offsets[partition]! += records.length;
    }
    if (read === 0) return 0;
    if (state.maxTime !== null) {
      for (const set of buffer.expire(state.maxTime - (options.maxOutOfOrderMs ?? 0))) {
        state.counters.incomplete++;
        incomplete.push(toRecord(set));
      }
    }
    state.buffer = buffer.snapshot();
    version = await store.commit({
      checkpointId, expectedVersion: version, state: encodeJsonBytes(state),
      offsets: Object.fromEntries(state.offsets.map((offset, p) => [`${source.topic}/${p}`, offset])),
      appends: [{ topic: options.output, records: joined }, { topic: options.incompleteOutput, records: incomplete }, { topic: `${name}.dead-letters`, records: dead }],
    });
    return read;
  };

  const stopping = new AbortController();
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      if ((await step()) === 0) await clock.sleep(options.pollIntervalMs ?? 10, stopping.signal).catch(() => undefined);
    }
  })();
  loop.catch(() => undefined);
  return {
    metrics: () => ({ ...state.counters, buffered: buffer.size }),
    stop: async () => {
      stopping.abort();
      try {
        await loop;
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}

