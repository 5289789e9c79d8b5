/**
 * @module adapters/embedded/event-store-thread
 * The thread behind {@link ThreadedEventStore}: one `SqliteEventStore`, its
 * calls answered in arrival order. Appends arrive encoded and stamped with
 * the caller's clock, so JSON errors and `recordedAt` are the caller's, as
 * with the store in-process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MillraceError, type SerializedError } from '../../core/errors.js';
import type { EventStoreCall, EventStoreThreadData, FromEventStoreThread, ToEventStoreThread } from './event-store-protocol.js';
import { SqliteEventStore } from './sqlite-event-store.js';

const port = parentPort!;
const { path } = (workerData as { data: EventStoreThreadData }).data;
let stamp = 0;
const store = openStore();

port.on('message', (message: ToEventStoreThread) => {
  void answer(message).then((reply) => port.postMessage(reply));
});
port.postMessage({ t: 'ready' } satisfies FromEventStoreThread);

async function answer(message: ToEventStoreThread): Promise<FromEventStoreThread> {
  try {
    return { t: 'reply', id: message.id, ok: true, value: await run(message) };
  } catch (error) {
    return { t: 'reply', id: message.id, ok: false, error: serialize(error) };
  }
}

function run(call: EventStoreCall): unknown {
  switch (call.op) {
    case 'append':
      stamp = call.now;
      return store.appendEncoded(call.streamId, call.batch, call.expected);
    case 'read':
      return store.read(call.streamId, { fromVersion: call.fromVersion, limit: call.limit });
    case 'readAll':
      return store.readAll({ afterPosition: call.afterPosition, limit: call.limit });
    case 'streamVersion':
      return store.streamVersion(call.streamId);
    case 'close':
      return store.close();
  }
}

/** Opens the store, or tells the parent why not (as the error the store threw) and ends the thread. */
function openStore(): SqliteEventStore {
  try {
    return new SqliteEventStore({ path, clock: { now: () => stamp } });
  } catch (error) {
    port.postMessage({ t: 'fatal', message: String(error), error: serialize(error) } satisfies FromEventStoreThread);
    throw error;
  }
}

function serialize(error: unknown): SerializedError {
  if (error instanceof MillraceError) return error.toJSON();
  return { code: 'NOT_AVAILABLE', message: `event store thread: ${error instanceof Error ? error.message : String(error)}`, details: {} };
}
