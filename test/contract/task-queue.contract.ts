/**
 * The TaskQueue contract suite: what every adapter of the port must do, tested
 * only through the `TaskQueue` interface so the same cases run against SQLite,
 * memory and RabbitMQ. Each case gets a fresh harness (fresh storage or fresh
 * queue names). Cases that move time need the harness's `ManualClock` and skip
 * without one; durability cases need `reopen` and skip without it. An adapter
 * that departs from a promise declares it in `capabilities` (RabbitMQ: no
 * dedup of queued ids, delays on the broker's clock), and the cases concerned
 * assert what it does instead; absent flags mean the full contract.
 *
 * @example
 * ```ts
 * taskQueueContract('MemoryTaskQueue', async () => {
 *   const clock = new ManualClock(0)
 *   const queue = new MemoryTaskQueue({ clock })
 *   return { queue, clock, cleanup: () => queue.close() }
 * })
 * ```
 */
import { describe } from 'node:test';
import { consumerCases } from './task-queue-contract/consumer-cases.js';
import { publishingCases } from './task-queue-contract/publishing-cases.js';
import { settlementCases } from './task-queue-contract/settlement-cases.js';
import type { HarnessFactory } from './task-queue-contract/support.js';

export type { TaskQueueHarness, HarnessFactory } from './task-queue-contract/support.js';

/** Registers the whole suite under `TaskQueue contract: <adapterName>`. */
export function taskQueueContract(adapterName: string, harness: HarnessFactory): void {
  void describe(`TaskQueue contract: ${adapterName}`, () => {
    void describe('publishing and delivery', () => publishingCases(harness));
    void describe('settlement, leases and dead letters', () => settlementCases(harness));
    void describe('consumers, request/reply and lifecycle', () => consumerCases(harness));
  });
}
