/**
 * @module adapters/embedded/event-store-protocol
 * The messages between {@link ThreadedEventStore} and its thread: every
 * call carries an id, and every reply names it.
 */
import type { SerializedError } from '../../core/errors.js';
import type { ExpectedVersion } from '../../ports/event-store.js';
import type { EncodedBatch } from './sqlite-event-store.js';

export type EventStoreCall =
  | { op: 'append'; streamId: string; batch: EncodedBatch; expected: ExpectedVersion; now: number }
  | { op: 'read'; streamId: string; fromVersion?: number; limit?: number }
  | { op: 'readAll'; afterPosition?: number; limit?: number }
  | { op: 'streamVersion'; streamId: string }
  | { op: 'close' };

export type ToEventStoreThread = EventStoreCall & { id: number };

export type FromEventStoreThread =
  | { t: 'ready' }
  | { t: 'fatal'; message: string; error?: SerializedError }
  | { t: 'reply'; id: number; ok: true; value: unknown }
  | { t: 'reply'; id: number; ok: false; error: SerializedError };

/** What the thread is started with. */
export interface EventStoreThreadData {
  path: string;
}
