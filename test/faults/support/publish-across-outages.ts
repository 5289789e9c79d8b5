/**
 * The body both RabbitMQ halves of scenario 3 run: a publisher (publisher
 * confirms) and a consumer on their own connections publish and consume
 * `size(2,000, 20,000)` messages while `outage` strikes at seeded moments
 * `size(3, 10)` times; every confirmed publish is recorded in the ledger as
 * expected, every delivery as applied. Returns what the scenario asserts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createRabbitMqTaskQueue } from '../../../src/adapters/rabbitmq/rabbitmq-task-queue.js';
import type { QueueStats, TaskQueue } from '../../../src/ports/task-queue.js';
import { deleteQueues, freshPrefix, recordingQueues } from '../../helpers/rabbitmq.js';
import { checkLedger, type LedgerCheck } from '../harness/checker.js';
import type { ScenarioRun } from '../harness/scenario.js';

export interface OutageRun {
  /** Where the publisher and the consumer connect (through a proxy, or to a private node). */
  clientUrl: string;
  /** Where the final queue depths are read: a connection that outages do not touch, or the same node once it is back. */
  adminUrl: string;
  /** Fault kind counted per outage. */
  fault: string;
  /** One outage: resolves when the broker accepts connections again. */
  outage(): Promise<void>;
  /** Delete the run's queues after (on the shared broker; a private node goes with its directory). */
  deleteQueuesAfter: boolean;
  /** Consume slower than the publisher publishes (4 at a time, 5 ms each), so that messages wait in the queue at an outage. @defaultValue false */
  backlog?: boolean;
}

export interface OutageOutcome {
  check: LedgerCheck;
  planned: number;
  final: QueueStats;
  inFlight: number;
}

export async function publishAcrossOutages(run: ScenarioRun, options: OutageRun): Promise<OutageOutcome> {
  const messages = run.size(2_000, 20_000);
  const batch = 20;
  const outageAt = new Set(Array.from({ length: run.size(3, 10) }, () => Math.floor(run.between(1, messages - 1) / batch)));
  const prefix = freshPrefix();
  const used = new Set<string>();
  const open = async (url: string): Promise<TaskQueue> =>
    recordingQueues(await createRabbitMqTaskQueue({ url, prefix, reconnect: { initialMs: 20, maxMs: 200 } }), used);
  const publisher = await open(options.clientUrl);
  const consumerQueue = await open(options.clientUrl);
  const outages: Array<Promise<void>> = [];
  let admin: TaskQueue | undefined;
  try {
    const consumer = consumerQueue.consume('work', async (delivery) => {
      run.ledger.record('delivered', String((delivery.payload as { key: string }).key));
      if (options.backlog === true) await sleep(5);
      else if (run.random() < 0.3) await sleep(1);
    }, { concurrency: options.backlog === true ? 4 : 16, leaseMs: 10_000 });
    for (let next = 0, index = 0; next < messages; next += batch, index++) {
      if (outageAt.has(index)) {
        run.inject(options.fault);
        outages.push(options.outage());
      }
      const keys = Array.from({ length: Math.min(batch, messages - next) }, (_, i) => `m-${next + i}`);
      await publisher.publish('work', keys.map((key) => ({ id: key, name: 'work', payload: { key } })));
      run.ledger.recordAll(keys.map((key) => ({ kind: 'confirmed', key })));
    }
    await Promise.all(outages);
    admin = await open(options.adminUrl);
    const confirmed = run.ledger.keys('confirmed');
    for (let i = 0; i < 3_000; i++) {
      const stats = await admin.stats('work');
      if (stats.ready + stats.delayed === 0 && new Set(run.ledger.keys('delivered')).size >= confirmed.length) break;
      await sleep(20);
    }
    await consumer.stop();
    return { check: checkLedger(confirmed, run.ledger.keys('delivered')), planned: outageAt.size, final: await admin.stats('work'), inFlight: (await consumerQueue.stats('work')).inFlight };
  } finally {
    await Promise.allSettled(outages);
    for (const queue of [publisher, consumerQueue, admin]) await queue?.close();
    if (options.deleteQueuesAfter) await deleteQueues(prefix, used);
  }
}
