/**
 * Scenario 11's stream worker, a child process:
 * `skewed-stream-child.ts <log file> <ledger file> <kill after N events | 0> <kill at delivery K | 0>`.
 * Runs the skewed pipeline over the whole `readings` topic (bounded) from
 * its checkpoints and, with N > 0, SIGKILLs itself once its steps have
 * handled N events in this run (mapper or window stage, mid-batch); with
 * K > 0, also right after its K-th call of the callback sink — results
 * delivered, their commit not made — which is where an at-least-once sink
 * gets its repeats. Each kill is recorded in the ledger (`kill`, by cause)
 * just before it.
 *
 * Its callback sink is a user's idempotent upsert: it is called at least
 * once per result (again after a crash, before the commit that covers it),
 * so it records each call as `delivered` and a window's first call as
 * `applied`, both in one ledger transaction. Prints `done <counters>` at
 * the end.
 */
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import type { ResultRecord } from '../../src/streams/runtime/records.js';
import { startPipeline } from '../../src/streams/runtime/run-pipeline.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';
import { Ledger, type LedgerEntry } from './harness/ledger.js';
import { BATCH_SIZE, SOURCE_TOPIC, skewedPipeline, windowKey } from './skewed-stream-pipeline.js';

const [logPath, ledgerPath, killAfterText, killAtDeliveryText] = process.argv.slice(2);
const killAfter = Number(killAfterText ?? 0);
const killAtDelivery = Number(killAtDeliveryText ?? 0);
const ledger = new Ledger(ledgerPath!);
const kill = (cause: string): void => {
  ledger.record('kill', cause);
  process.kill(process.pid, 'SIGKILL');
};
let handled = 0;
const tick = (): void => {
  if (killAfter > 0 && ++handled >= killAfter) kill('events');
};
let deliveries = 0;
// Check-then-record is safe here: one worker process runs at a time, and the ledger is its only writer.
const upsert = (results: readonly ResultRecord<number[]>[]): void => {
  const entries: LedgerEntry[] = [];
  for (const result of results) {
    const key = windowKey(result);
    const value = JSON.stringify({ kind: result.kind, value: result.value });
    entries.push({ kind: 'delivered', key, detail: value });
    if (ledger.count('applied', key) === 0) entries.push({ kind: 'applied', key, detail: value });
  }
  ledger.recordAll(entries);
  if (killAtDelivery > 0 && ++deliveries >= killAtDelivery) kill('after-delivery');
};

const log = new SqliteLog({ path: logPath! });
const checkpoints = new SqliteCheckpointStore({ database: log.database });
const store = createStreamStore(log, checkpoints);
const ranges = (await log.topicInfo(SOURCE_TOPIC)).endOffsets.map((to) => ({ from: 0, to }));
const running = await startPipeline(skewedPipeline(upsert, tick), { store, ranges, batchSize: BATCH_SIZE });
await running.done;
const metrics = await running.metrics();
const late = metrics.windows.reduce((sum, window) => sum + window.late, 0);
const updates = metrics.windows.reduce((sum, window) => sum + window.updateResults, 0);
process.stdout.write(`done ${JSON.stringify({ late, updates })}\n`);
await checkpoints.close();
await log.close();
ledger.close();
