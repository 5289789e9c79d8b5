/** The stream fault tests' log files: the input written once, a topic read back whole. */
import { SqliteCheckpointStore } from '../../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../../src/adapters/embedded/sqlite-log.js';
import { startPipeline } from '../../../src/streams/runtime/run-pipeline.js';
import { createStreamStore } from '../../../src/streams/runtime/stream-store.js';
import { sequencePipeline, type SeqEvent } from '../kill-stream-pipeline.js';

/** Writes `events` round-robin over the 3 partitions of topic `events` in a fresh log file. */
export async function writeSequenceLog(path: string, events: readonly SeqEvent[]): Promise<void> {
  const log = new SqliteLog({ path });
  await log.createTopic('events', { partitions: 3 });
  for (let i = 0; i < events.length; i += 1000) await log.append('events', events.slice(i, i + 1000).map((value, j) => ({ value, partition: (i + j) % 3 })));
  await log.close();
}

/** Every record value of a topic, partition by partition. */
export async function readTopicValues(path: string, topic: string): Promise<unknown[]> {
  const log = new SqliteLog({ path });
  const info = await log.topicInfo(topic);
  const values: unknown[] = [];
  for (let partition = 0; partition < info.partitions; partition++) {
    for (let offset = 0; offset < info.endOffsets[partition]!; offset += 5000) values.push(...(await log.read(topic, partition, offset, { limit: 5000 })).map((r) => r.value));
  }
  await log.close();
  return values;
}

/** The reference run: the sequence pipeline over the whole log, every task in this process. Returns the ranges it read. */
export async function runInOneProcess(path: string): Promise<Array<{ from: number; to: number }>> {
  const log = new SqliteLog({ path });
  const checkpoints = new SqliteCheckpointStore({ database: log.database });
  const ranges = (await log.topicInfo('events')).endOffsets.map((to) => ({ from: 0, to }));
  await (await startPipeline(sequencePipeline(), { store: createStreamStore(log, checkpoints), ranges, batchSize: 97 })).done;
  await checkpoints.close();
  await log.close();
  return ranges;
}
