/**
 * Ambiguous success: decorators for the EventStore and TaskQueue ports that
 * perform an append or a publish and then, for a seeded share of calls,
 * throw anyway — as when a commit succeeds but the connection drops before
 * the reply. The caller cannot tell this from a failure and must retry
 * safely (event ids, message ids, task ids).
 */
import type { EventStore } from '../../../src/ports/event-store.js';
import type { TaskQueue } from '../../../src/ports/task-queue.js';
import { MillraceError } from '../../../src/core/errors.js';

export interface AmbiguityStats {
  appends: number;
  ambiguousAppends: number;
  publishes: number;
  ambiguousPublishes: number;
}

export interface Ambiguity {
  stats: AmbiguityStats;
  /** Faults are injected only while armed. */
  armed: boolean;
  events(inner: EventStore): EventStore;
  queue(inner: TaskQueue): TaskQueue;
}

export function ambiguousFaults(options: { random: () => number; share: number }): Ambiguity {
  const stats: AmbiguityStats = { appends: 0, ambiguousAppends: 0, publishes: 0, ambiguousPublishes: 0 };
  const lost = (what: string): MillraceError => new MillraceError('NOT_AVAILABLE', `connection lost after ${what} (injected: the operation did succeed)`);
  const ambiguity: Ambiguity = {
    stats,
    armed: false,
    events: (inner) => {
      const store: EventStore = Object.create(inner) as EventStore;
      store.append = async (streamId, events, expectedVersion) => {
        const result = await inner.append(streamId, events, expectedVersion);
        stats.appends++;
        if (ambiguity.armed && options.random() < options.share) {
          stats.ambiguousAppends++;
          throw lost('append');
        }
        return result;
      };
      store.read = inner.read.bind(inner);
      store.readAll = inner.readAll.bind(inner);
      store.streamVersion = inner.streamVersion.bind(inner);
      store.close = inner.close.bind(inner);
      return store;
    },
    queue: (inner) => {
      const queue: TaskQueue = Object.create(inner) as TaskQueue;
      queue.publish = async (name, messages) => {
        await inner.publish(name, messages);
        stats.publishes++;
        if (ambiguity.armed && options.random() < options.share) {
          stats.ambiguousPublishes++;
          throw lost('publish');
        }
      };
      queue.consume = inner.consume.bind(inner);
      queue.request = inner.request.bind(inner);
      queue.stats = inner.stats.bind(inner);
      queue.deadLetters = inner.deadLetters.bind(inner);
      queue.requeueDeadLetter = inner.requeueDeadLetter.bind(inner);
      queue.close = inner.close.bind(inner);
      return queue;
    },
  };
  return ambiguity;
}
