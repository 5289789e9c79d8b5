/** Shared set-up for the stream runtime tests: an embedded Log and CheckpointStore on one SQLite handle. */
import { SqliteCheckpointStore } from '../../../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../../../src/adapters/embedded/sqlite-log.js';
import type { LogRecord, NewRecord } from '../../../../src/ports/log.js';
import { createStreamStore, type StreamStore } from '../../../../src/streams/runtime/stream-store.js';

export interface TestStore {
  log: SqliteLog;
  checkpoints: SqliteCheckpointStore;
  store: StreamStore;
  close(): Promise<void>;
}

/** An in-memory (or file, with `path`) log and checkpoint store sharing one database: commits are atomic. */
export function openTestStore(path = ':memory:'): TestStore {
  const log = new SqliteLog({ path, pollIntervalMs: 5 });
  const checkpoints = new SqliteCheckpointStore({ database: log.database });
  return {
    log, checkpoints, store: createStreamStore(log, checkpoints),
    close: async () => {
      await checkpoints.close();
      await log.close();
    },
  };
}

/** Every record of every partition of `topic`. */
export async function readAll(log: SqliteLog, topic: string): Promise<LogRecord[]> {
  const info = await log.topicInfo(topic);
  const out: LogRecord[] = [];
  for (let partition = 0; partition < info.partitions; partition++) {
    for (let offset = 0; ;) {
      const batch = await log.read(topic, partition, offset, { limit: 5000 });
      if (batch.length === 0) break;
      out.push(...batch);
      offset += batch.length;
    }
  }
  return out;
}

/** Appends in chunks. */
export async function appendAll(log: SqliteLog, topic: string, records: readonly NewRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 2000) await log.append(topic, records.slice(i, i + 2000));
}

/** Offsets [0, end) of every partition: a bounded run over all of `topic` as it is now. */
export async function wholeTopic(log: SqliteLog, topic: string): Promise<Array<{ from: number; to: number }>> {
  return (await log.topicInfo(topic)).endOffsets.map((to) => ({ from: 0, to }));
}
