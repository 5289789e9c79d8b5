/**
 * @module ports/checkpoint-store
 * Operator state and input offsets, committed together: the basis of
 * exactly-once stream state. After a crash a pipeline loads its last
 * checkpoint and re-reads its inputs from the offsets saved with it, so each
 * input record affects the state exactly once.
 */

/** Input positions: `"topic/partition"` → next offset to read. */
export type InputOffsets = Record<string, number>;

/** What `commit` takes: the state and offsets, and the version the committer loaded (0 if none). */
export interface CheckpointCommit {
  state: Uint8Array;
  offsets: InputOffsets;
  expectedVersion: number;
}

export interface Checkpoint {
  pipeline: string;
  /** Serialised operator state (opaque to the store). */
  state: Uint8Array;
  offsets: InputOffsets;
  /** 1 for the first commit, +1 on each commit after. */
  version: number;
  committedAt: number;
}

/**
 * Contract:
 * - **Atomic.** State and offsets are written in one transaction: a reader
 *   sees both from the same commit or neither.
 * - **Fenced.** `commit` takes the version the committer loaded (0 if none);
 *   a committer whose view is stale (a zombie after a failover) fails with
 *   `CHECKPOINT_CONFLICT` and changes nothing.
 * - **Durable** before `commit` resolves.
 * - Not promised: history; only the latest checkpoint is kept.
 */
export interface CheckpointStore {
  load(pipeline: string): Promise<Checkpoint | undefined>;
  /** Returns the new version. */
  commit(pipeline: string, checkpoint: CheckpointCommit): Promise<number>;
  close(): Promise<void>;
}
