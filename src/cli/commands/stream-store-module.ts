/**
 * The store module of `millrace stream run --threads`: each runner thread
 * opens the engine's stores (embedded or cluster, from the same settings
 * and environment as the command) on handles of its own.
 */
import { createMillrace } from '../../runtime/millrace.js';
import { createStreamStore } from '../../streams/runtime/stream-store.js';
import type { StreamStoreModule } from '../../streams/runtime/runner-threads.js';

export const openStreamStore: StreamStoreModule['openStreamStore'] = async (threadData) => {
  const { dataDir } = (threadData ?? {}) as { dataDir?: string };
  const millrace = await createMillrace({ ...(dataDir === undefined ? {} : { dataDir }), logLevel: 'warn' });
  return { store: createStreamStore(millrace.log, millrace.checkpoints), blobs: millrace.blobs, close: () => millrace.close() };
};
