/**
 * One runner of the stream-runners fault test, in its own process:
 * `stream-runner-child.ts <db file> <runner id> <kill after N events | 0>`.
 * It joins the group of the kill-stream pipeline over the whole `events`
 * topic (bounded) and runs the tasks it is given; with N > 0 it SIGKILLs
 * itself once its steps have handled N events. Prints `done <metrics>`
 * when every task of the run has ended, on whichever runner; logs (JSON
 * lines) each task it starts.
 */
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { writeSync } from 'node:fs';
import type { Logger } from '../../src/core/logger.js';
import { startRunner } from '../../src/streams/runtime/stream-runner.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';
import { sequencePipeline } from './kill-stream-pipeline.js';

const [path, runnerId, killAfterText] = process.argv.slice(2);
const killAfter = Number(killAfterText ?? 0);
let handled = 0;
const tick = (): void => {
  if (killAfter > 0 && ++handled >= killAfter) process.kill(process.pid, 'SIGKILL');
};

// Written synchronously, so a line is out before a SIGKILL can drop it.
const logger: Logger = {
  debug: () => undefined, warn: () => undefined, error: () => undefined,
  info: (fields: Record<string, unknown>, message?: string) => void writeSync(1, `${JSON.stringify({ ...fields, msg: message })}\n`),
  child: () => logger,
};

const log = new SqliteLog({ path: path! });
const checkpoints = new SqliteCheckpointStore({ database: log.database });
const store = createStreamStore(log, checkpoints);
const ranges = (await log.topicInfo('events')).endOffsets.map((to) => ({ from: 0, to }));
const runner = await startRunner(sequencePipeline(tick), { store, ranges, batchSize: 97, runnerId: runnerId!, leaseMs: 1_000, pollIntervalMs: 10, logger });
process.stdout.write(`joined ${JSON.stringify(runner.metrics().tasks)}\n`);
await runner.done;
process.stdout.write(`done ${JSON.stringify(runner.metrics())}\n`);
await checkpoints.close();
await log.close();
