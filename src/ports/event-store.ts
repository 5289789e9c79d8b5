/**
 * @module ports/event-store
 * Per-aggregate event streams with optimistic concurrency: the memory of
 * every process (see jobs/). Events are facts; they are never changed or
 * deleted.
 */

/** An event to append. */
export interface NewEvent {
  /** Past-tense name, e.g. `TaskCompleted`. */
  type: string;
  /** JSON-serialisable body. */
  data: unknown;
  metadata?: Record<string, unknown>;
  /**
   * Unique id. Appending a batch whose ids are already stored at the same
   * versions of the same stream succeeds without writing again (a retried
   * append after an ambiguous failure). @defaultValue a random id
   */
  id?: string;
}

/** An event as stored. */
export interface StoredEvent {
  id: string;
  streamId: string;
  /** Position within its stream: 1, 2, 3 … with no gaps. */
  version: number;
  /** Position across all streams: strictly increasing in commit order. */
  position: number;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  /** Epoch ms at which it was stored. */
  recordedAt: number;
}

/**
 * The version the caller believes the stream is at: a number (0 = empty),
 * `'no-stream'` (must be empty, same as 0) or `'any'` (no check).
 */
export type ExpectedVersion = number | 'no-stream' | 'any';

export interface AppendResult {
  /** Version of the last event of the stream after the append. */
  version: number;
  /** Global position of the last appended event. */
  position: number;
}

/**
 * Contract:
 * - **Optimistic concurrency.** `append` with a stale `expectedVersion`
 *   fails with `EVENT_STORE_VERSION_CONFLICT` and writes nothing; of two
 *   racing appends at the same version exactly one wins.
 * - **Atomic and durable.** A batch is stored whole or not at all, and
 *   `append` resolves only once it survives a crash.
 * - **Ordered.** `read` returns a stream's events by version; `readAll`
 *   returns all events by global position, so projections see each stream's
 *   events in order and never see a later commit before an earlier one.
 * - **Idempotent by id.** Re-appending a batch already stored (same ids, same
 *   versions) returns the original result.
 * - Not promised: gap-free global positions.
 */
export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult>;
  /** Events of one stream from `fromVersion` (inclusive, default 1). */
  read(streamId: string, options?: { fromVersion?: number; limit?: number }): Promise<StoredEvent[]>;
  /** Events of all streams after `afterPosition` (exclusive, default 0). */
  readAll(options?: { afterPosition?: number; limit?: number }): Promise<StoredEvent[]>;
  /** Current version of a stream; 0 if it has no events. */
  streamVersion(streamId: string): Promise<number>;
  close(): Promise<void>;
}
