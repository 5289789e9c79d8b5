/**
 * The stream the kill-stream fault test runs in a child process:
 * `kill-stream-child.ts <db file> <kill after N events | 0>`. It runs the
 * pipeline over the whole `events` topic (bounded), and with N > 0 SIGKILLs
 * itself once its steps have handled N events in this run — in the mapper
 * stage or the window stage, wherever the count lands. Prints `done` at the end.
 */
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { startPipeline } from '../../src/streams/runtime/run-pipeline.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';
import { sequencePipeline } from './kill-stream-pipeline.js';

const [path, killAfterText] = process.argv.slice(2);
const killAfter = Number(killAfterText ?? 0);
let handled = 0;
const tick = (): void => {
  if (killAfter > 0 && ++handled >= killAfter) process.kill(process.pid, 'SIGKILL');
};

const log = new SqliteLog({ path: path! });
const checkpoints = new SqliteCheckpointStore({ database: log.database });
const store = createStreamStore(log, checkpoints);
const ranges = (await log.topicInfo('events')).endOffsets.map((to) => ({ from: 0, to }));
const running = await startPipeline(sequencePipeline(tick), { store, ranges, batchSize: 97 });
await running.done;
const metrics = await running.metrics();
process.stdout.write(`done ${JSON.stringify({ mappers: metrics.mappers, windows: metrics.windows.map(({ watermark: _, ...w }) => w) })}\n`);
await checkpoints.close();
await log.close();
