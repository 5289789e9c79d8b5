/** The store module of the runner-threads fault test: each thread opens its own handles on the SQLite file `threadData.path`. */
import { SqliteCheckpointStore } from '../../src/adapters/embedded/sqlite-checkpoint-store.js';
import { SqliteLog } from '../../src/adapters/embedded/sqlite-log.js';
import { createStreamStore } from '../../src/streams/runtime/stream-store.js';

export async function openStreamStore(threadData: { path: string }) {
  const log = new SqliteLog({ path: threadData.path });
  const checkpoints = new SqliteCheckpointStore({ database: log.database });
  return {
    store: createStreamStore(log, checkpoints),
    close: async () => {
      await checkpoints.close();
      await log.close();
    },
  };
}
