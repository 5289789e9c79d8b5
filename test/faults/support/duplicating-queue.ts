/**
 * A TaskQueue decorator that delivers every message on chosen queues more
 * than once: each published message is published again under other ids
 * (so the queue's id dedup cannot hide it), and each batch is shuffled.
 * Seeded: the same seed duplicates and shuffles the same way.
 */
import type { OutgoingMessage, TaskQueue } from '../../../src/ports/task-queue.js';
import { seededRandom } from '../../../src/core/seeded-random.js';

export interface DuplicationStats {
  published: number;
  extraCopies: number;
}

export function duplicatingQueue(inner: TaskQueue, options: { queues: readonly string[]; seed: number; thirdCopyShare: number }): { queue: TaskQueue; stats: DuplicationStats } {
  const random = seededRandom(options.seed);
  const stats: DuplicationStats = { published: 0, extraCopies: 0 };
  const queue: TaskQueue = Object.create(inner) as TaskQueue;
  queue.publish = async (name: string, messages: OutgoingMessage | readonly OutgoingMessage[]) => {
    const list = Array.isArray(messages) ? (messages as readonly OutgoingMessage[]) : [messages as OutgoingMessage];
    if (!options.queues.includes(name)) return inner.publish(name, list);
    const copies: OutgoingMessage[] = [];
    for (const message of list) {
      const id = message.id ?? `${Math.floor(random() * 2 ** 52)}`;
      const count = random() < options.thirdCopyShare ? 3 : 2;
      for (let copy = 0; copy < count; copy++) copies.push({ ...message, id: copy === 0 ? id : `${id}~dup${copy}` });
      stats.published++;
      stats.extraCopies += count - 1;
    }
    for (let i = copies.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copies[i], copies[j]] = [copies[j]!, copies[i]!];
    }
    return inner.publish(name, copies);
  };
  queue.consume = inner.consume.bind(inner);
  queue.close = inner.close.bind(inner);
  return { queue, stats };
}
