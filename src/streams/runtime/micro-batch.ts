/**
 * @module streams/runtime/micro-batch
 * Micro-batch mode: messages of a topic are cut into buckets — by
 * `maxMessages`, or when the first message has waited `maxWaitMs` — and a
 * function runs per bucket, `concurrency` buckets at a time. The dials
 * change live through the control topic (`dials.ts`).
 *
 * ```
 *  source p ──read──▶ open bucket ──full or waited──▶ plan: commit { pending += bucket, planned[p] = to }
 *                                                         │
 *        ┌────────────── up to `concurrency` at once ◀────┘
 *        ▼
 *  handler(bucket) ──▶ commit { output records, pending −= bucket }   (one transaction)
 * ```
 *
 * Why nothing is lost or run twice into the output: a bucket's range is
 * committed (planned) before it runs and its completion is committed with
 * its output. After a crash the planned, unfinished buckets run again
 * **with the same id and range**, whatever the dials say now; the handler
 * may see a bucket twice (at least once), its output lands once (with an
 * atomic store). A dial change affects only buckets formed after it.
 */
import { SystemClock, type Clock } from '../../core/clock.js';
import { decodeJson, encodeJsonBytes } from '../../core/json-codec.js';
import type { LogRecord } from '../../ports/log.js';
import { applyDialChange, checkDials, DEFAULT_DIALS, dialsTopic, type MicroBatchDials } from './dials.js';
import type { StreamStore, TopicAppend } from './stream-store.js';

/** One bucket: records `[from, to)` of a source partition. */
export interface Bucket {
  /** `<name>/<partition>/<from>-<to>`: the same on every run of this bucket. */
  id: string;
  partition: number;
  from: number;
  to: number;
  records: LogRecord[];
  /** The dials when the bucket was formed. */
  dials: MicroBatchDials;
}

export interface MicroBatchOptions {
  name: string;
  store: StreamStore;
  source: { topic: string };
  /** Runs per bucket (a function, or one that starts a Jobs process and awaits it); returns records to append with its completion. */
  handler: (bucket: Bucket) => Promise<TopicAppend[] | void> | TopicAppend[] | void;
  /** @defaultValue { maxMessages: 1000, maxWaitMs: 1000, concurrency: 1 }, then the control topic's changes */
  dials?: Partial<MicroBatchDials>;
  clock?: Clock;
  /** @defaultValue 10 */
  pollIntervalMs?: number;
  /** Tries per bucket before it goes to `<name>.dead-letters` with the error. @defaultValue 3 */
  maxAttempts?: number;
}

interface PlannedBucket { id: string; partition: number; from: number; to: number; dials: MicroBatchDials }
interface State { planned: number[]; pending: PlannedBucket[]; buckets: number; messages: number; failed: number }

export interface RunningMicroBatch {
  /** The dials now. */
  dials(): MicroBatchDials;
  metrics(): { buckets: number; messages: number; failed: number; pending: number; inFlight: number };
  /** Stops forming buckets and waits for those running to commit. */
  stop(): Promise<void>;
}

/** Starts micro-batch stream `name`; resumes its planned, unfinished buckets first. */
export async function startMicroBatch(options: MicroBatchOptions): Promise<RunningMicroBatch> {
  const { name, store, source, handler } = options;
  const clock = options.clock ?? new SystemClock();
  const pollMs = options.pollIntervalMs ?? 10;
  const maxAttempts = options.maxAttempts ?? 3;
  const checkpointId = `${name}/micro-batch`;
  const partitions = (await store.log.topicInfo(source.topic)).partitions;
  await store.log.createTopic(dialsTopic(name), { partitions: 1 });
  await store.log.createTopic(`${name}.dead-letters`, { partitions: 1 });
  const checkpoint = await store.checkpoints.load(checkpointId);
  let version = checkpoint?.version ?? 0;
  const state: State = checkpoint === undefined
    ? { planned: new Array<number>(partitions).fill(0), pending: [], buckets: 0, messages: 0, failed: 0 }
    : (decodeJson(checkpoint.state) as State);
  let dials: MicroBatchDials = { ...DEFAULT_DIALS, ...checkDials(options.dials ?? {}) };
  let dialsOffset = 0;
  const readDials = async (): Promise<void> => {
    for (const record of await store.log.read(dialsTopic(name), 0, dialsOffset, { limit: 100 })) {
      dialsOffset = record.offset + 1;
      dials = applyDialChange(dials, record.value);
    }
  };
  await readDials();

  // Commits go one at a time: each takes the version the last one returned.
  let commits: Promise<unknown> = Promise.resolve();
  const commit = (change: () => void, appends: TopicAppend[] = []): Promise<void> => {
    const next = commits.then(async () => {
      change();
      version = await store.commit({ checkpointId, appends, state: encodeJsonBytes(state), offsets: {}, expectedVersion: version });
    });
    commits = next.catch(() => undefined);
    return next;
  };

  const stopping = new AbortController();
  const queue: Array<{ bucket: PlannedBucket; records?: LogRecord[] }> = state.pending.map((bucket) => ({ bucket }));
  let inFlight = 0;
  const running = new Set<Promise<void>>();
  let failure: unknown;

  const run = async (planned: PlannedBucket, given: LogRecord[] | undefined): Promise<void> => {
    const records = given ?? (await store.log.read(source.topic, planned.partition, planned.from, { limit: planned.to - planned.from }));
    const bucket: Bucket = { ...planned, records };
    let appends: TopicAppend[];
    let failed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        appends = (await handler(bucket)) ?? [];
        break;
      } catch (error) {
        if (attempt < maxAttempts) {
          await clock.sleep(10 * 2 ** attempt);
          continue;
        }
        const message = error instanceof Error ? error.message : String(error);
        appends = [{ topic: `${name}.dead-letters`, records: [{ key: planned.id, value: { id: planned.id, reason: 'handler-failed', message, attempts: attempt } }] }];
        failed = true;
        break;
      }
    }
    await commit(() => {
      state.pending = state.pending.filter((p) => p.id !== planned.id);
      state.buckets++;
      state.messages += planned.to - planned.from;
      if (failed) state.failed++;
    }, appends);
  };
  const schedule = (): void => {
    while (!stopping.signal.aborted && inFlight < dials.concurrency && queue.length > 0) {
      const { bucket, records } = queue.shift()!;
      inFlight++;
      const task = run(bucket, records).catch((error: unknown) => {
        failure ??= error;
        stopping.abort();
      }).finally(() => {
        inFlight--;
        running.delete(task);
        schedule();
      });
      running.add(task);
    }
  };
  schedule();

  const plan = async (partition: number, records: LogRecord[]): Promise<void> => {
    const from = records[0]!.offset;
    const to = from + records.length;
    const bucket: PlannedBucket = { id: `${name}/${partition}/${from}-${to}`, partition, from, to, dials };
    await commit(() => {
      state.planned[partition] = to;
      state.pending.push(bucket);
    });
    queue.push({ bucket, records });
    schedule();
  };
  const form = async (partition: number): Promise<void> => {
    let open: LogRecord[] = [];
    let openedAt = 0;
    while (!stopping.signal.aborted) {
      await readDials();
      // Plan ahead only as far as the dials let buckets run: a slow handler holds messages in the log, not in memory.
      if (queue.length >= dials.concurrency) {
        await clock.sleep(pollMs, stopping.signal).catch(() => undefined);
        continue;
      }
      const need = dials.maxMessages - open.length;
      const fresh = need > 0 ? await store.log.read(source.topic, partition, state.planned[partition]! + open.length, { limit: need }) : [];
      if (open.length === 0 && fresh.length > 0) openedAt = clock.now();
      open = open.concat(fresh);
      const waited = open.length > 0 && clock.now() - openedAt >= dials.maxWaitMs;
      if (open.length > 0 && (open.length >= dials.maxMessages || waited)) {
        // A bucket opened under a larger maxMessages is cut to the current one; the rest starts the next bucket.
        const cut = Math.min(open.length, dials.maxMessages);
        await plan(partition, open.slice(0, cut));
        open = open.slice(cut);
        continue;
      }
      if (fresh.length === 0) await clock.sleep(open.length > 0 ? Math.min(pollMs, Math.max(1, dials.maxWaitMs - (clock.now() - openedAt))) : pollMs, stopping.signal).catch(() => undefined);
    }
  };
  const forming = Array.from({ length: partitions }, (_, partition) => form(partition).catch((error: unknown) => {
    failure ??= error;
    stopping.abort();
  }));
  const keepAlive = setInterval(() => undefined, 1 << 30);

  return {
    dials: () => ({ ...dials }),
    metrics: () => ({ buckets: state.buckets, messages: state.messages, failed: state.failed, pending: state.pending.length, inFlight }),
    stop: async () => {
      stopping.abort();
      await Promise.all(forming);
      while (running.size > 0) await Promise.allSettled([...running]);
      await commits;
      clearInterval(keepAlive);
      if (failure !== undefined) throw failure;
    },
  };
}
