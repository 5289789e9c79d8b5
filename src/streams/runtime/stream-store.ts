/**
 * @module streams/runtime/stream-store
 * What the stream runtime needs from storage: a `Log`, a `CheckpointStore`,
 * and one operation that appends a task's output records and commits its
 * checkpoint **in one transaction**. That joint commit is what makes sink
 * output exactly once; without it the state is still exactly once (state
 * and offsets are one checkpoint row) but output records may repeat after
 * a crash (at least once, with deterministic record ids for dedup).
 *
 * The domain may not import adapters, so the joint commit is found by
 * shape: a log and checkpoint store on one SQLite handle (`appendSync`,
 * `commitSync`, the same `database`), or on one PostgreSQL pool
 * (`appendIn`, `commitIn`, `withTransaction`). `SqliteLog` and
 * `SqliteCheckpointStore` opened on one `database`, and `PostgresLog` and
 * `PostgresCheckpointStore` on one pool, have these shapes.
 */
import type { CheckpointStore, InputOffsets } from '../../ports/checkpoint-store.js';
import type { Log, NewRecord } from '../../ports/log.js';

/** Records for one topic, appended as part of a commit. */
export interface TopicAppend {
  topic: string;
  records: NewRecord[];
}

/** One task's commit: its output records, then its state and the input offsets that produced it. */
export interface TaskCommit {
  checkpointId: string;
  appends: readonly TopicAppend[];
  state: Uint8Array;
  offsets: InputOffsets;
  expectedVersion: number;
}

/** The storage a pipeline runs on. */
export interface StreamStore {
  readonly log: Log;
  readonly checkpoints: CheckpointStore;
  /** True when `commit` appends and checkpoints in one transaction (exactly-once output). */
  readonly atomic: boolean;
  /**
   * Appends every `appends` record and commits the checkpoint; returns the
   * new checkpoint version. With `atomic`, all or nothing: a
   * `CHECKPOINT_CONFLICT` (a stale, fenced committer) leaves no record
   * behind. Without it, records are appended first, then the checkpoint.
   */
  commit(commit: TaskCommit): Promise<number>;
}

interface SyncTransactional {
  transaction<R>(work: () => R): { immediate(): R };
}
interface SyncLog extends Log {
  readonly database: SyncTransactional;
  appendSync(topic: string, records: readonly NewRecord[]): unknown;
}
interface SyncCheckpoints extends CheckpointStore {
  readonly database: SyncTransactional;
  commitSync(pipeline: string, checkpoint: { state: Uint8Array; offsets: InputOffsets; expectedVersion: number }): number;
}
interface ClientLog<C> extends Log {
  appendIn(client: C, topic: string, records: readonly NewRecord[]): Promise<unknown>;
}
interface ClientCheckpoints<C> extends CheckpointStore {
  commitIn(client: C, pipeline: string, checkpoint: { state: Uint8Array; offsets: InputOffsets; expectedVersion: number }): Promise<number>;
  withTransaction<T>(work: (client: C) => Promise<T>): Promise<T>;
}

/**
 * The `StreamStore` over `log` and `checkpoints`, atomic when the two can
 * share a transaction (see the module comment).
 *
 * @example
 * ```ts
 * const log = new SqliteLog({ path: '.millrace/streams.db' })
 * const store = createStreamStore(log, new SqliteCheckpointStore({ database: log.database }))
 * store.atomic // true
 * ```
 */
export function createStreamStore(log: Log, checkpoints: CheckpointStore): StreamStore {
  if (isSyncLog(log) && isSyncCheckpoints(checkpoints) && log.database === checkpoints.database) {
    return {
      log, checkpoints, atomic: true,
      commit: async ({ checkpointId, appends, state, offsets, expectedVersion }) =>
        log.database.transaction(() => {
          for (const { topic, records } of appends) if (records.length > 0) log.appendSync(topic, records);
          return checkpoints.commitSync(checkpointId, { state, offsets, expectedVersion });
        }).immediate(),
    };
  }
  if (isClientLog(log) && isClientCheckpoints(checkpoints)) {
    // Atomic only when both share the pool; `withTransaction` hands out a connection of the checkpoint store's pool.
    return {
      log, checkpoints, atomic: true,
      commit: ({ checkpointId, appends, state, offsets, expectedVersion }) =>
        checkpoints.withTransaction(async (client) => {
          for (const { topic, records } of appends) if (records.length > 0) await log.appendIn(client, topic, records);
          return checkpoints.commitIn(client, checkpointId, { state, offsets, expectedVersion });
        }),
    };
  }
  return {
    log, checkpoints, atomic: false,
    commit: async ({ checkpointId, appends, state, offsets, expectedVersion }) => {
      for (const { topic, records } of appends) if (records.length > 0) await log.append(topic, records);
      return checkpoints.commit(checkpointId, { state, offsets, expectedVersion });
    },
  };
}

function isSyncLog(log: Log): log is SyncLog {
  const candidate = log as Partial<SyncLog>;
  return typeof candidate.appendSync === 'function' && typeof candidate.database?.transaction === 'function';
}
function isSyncCheckpoints(checkpoints: CheckpointStore): checkpoints is SyncCheckpoints {
  const candidate = checkpoints as Partial<SyncCheckpoints>;
  return typeof candidate.commitSync === 'function' && typeof candidate.database?.transaction === 'function';
}
function isClientLog(log: Log): log is ClientLog<unknown> {
  return typeof (log as Partial<ClientLog<unknown>>).appendIn === 'function';
}
function isClientCheckpoints(checkpoints: CheckpointStore): checkpoints is ClientCheckpoints<unknown> {
  const candidate = checkpoints as Partial<ClientCheckpoints<unknown>>;
  return typeof candidate.commitIn === 'function' && typeof candidate.withTransaction === 'function';
}
