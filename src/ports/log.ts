/**
 * @module ports/log
 * Partitioned, append-only topics with offsets: the durable input of
 * streams and the single source of truth for replay (Kappa).
 */

/** A record to append. */
export interface NewRecord {
  /** Records with the same key go to the same partition, in append order. */
  key?: string;
  /** JSON-serialisable value. */
  value: unknown;
  /** Explicit partition; overrides the key's. */
  partition?: number;
  /** Event time, epoch ms. @defaultValue append time */
  timestamp?: number;
}

/** A record as stored. */
export interface LogRecord {
  topic: string;
  partition: number;
  /** 0, 1, 2 … within its partition, without gaps. */
  offset: number;
  key: string | undefined;
  value: unknown;
  /** Event time, epoch ms. */
  timestamp: number;
}

export interface TopicInfo {
  topic: string;
  partitions: number;
  /** Per partition, the offset the next appended record will get. */
  endOffsets: number[];
}

export interface ReadOptions {
  /** Most records returned. @defaultValue 1000 */
  limit?: number;
}

export interface TailOptions extends ReadOptions {
  /** Ends the iteration. */
  signal?: AbortSignal;
}

/**
 * Contract:
 * - **Append-only, gap-free offsets** per partition; a batch is appended
 *   atomically and durably before `append` resolves.
 * - **Key affinity.** Without an explicit partition, a key always maps to the
 *   same partition (`hashKey(key) % partitions`); records without a key are
 *   spread round-robin.
 * - **Checked.** Each record carries a checksum verified on read; a corrupt
 *   record fails the read with `LOG_RECORD_CORRUPT` naming topic, partition
 *   and offset. It is never returned.
 * - **Replayable.** Reading from any retained offset returns the same records
 *   every time.
 * - Not promised: order across partitions; retention beyond what is
 *   configured (all records are kept unless truncated explicitly).
 */
export interface Log {
  /** Creates a topic; creating it again with the same partition count is a no-op. @throws `LOG_TOPIC_CONFLICT` on a different count */
  createTopic(topic: string, options: { partitions: number }): Promise<void>;
  /** @throws `LOG_TOPIC_NOT_FOUND` */
  topicInfo(topic: string): Promise<TopicInfo>;
  /** Appends records; returns their positions in input order. */
  append(topic: string, records: readonly NewRecord[]): Promise<Array<{ partition: number; offset: number }>>;
  /** Records of one partition from `fromOffset` (inclusive), up to `limit`. */
  read(topic: string, partition: number, fromOffset: number, options?: ReadOptions): Promise<LogRecord[]>;
  /** Like `read`, then waits for new records until `signal` aborts. */
  tail(topic: string, partition: number, fromOffset: number, options?: TailOptions): AsyncIterable<LogRecord>;
  close(): Promise<void>;
}
