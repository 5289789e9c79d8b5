/**
 * `PostgresCheckpointStore` against the real server: the shared contract on
 * a fresh schema per test, plus what only a server shows.
 */
import { describe } from 'node:test';
import { PostgresCheckpointStore } from '../../src/adapters/postgres/postgres-checkpoint-store.js';
import { dropSchema, freshSchemaName, POSTGRES_URL } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { checkpointStoreContract } from './checkpoint-store.contract.js';

const skip = await requireService('postgres');

void describe('PostgresCheckpointStore', { skip }, () => {
  checkpointStoreContract('PostgresCheckpointStore', async () => {
    const schema = freshSchemaName();
    let store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = new PostgresCheckpointStore({ connectionString: POSTGRES_URL, schema });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});
