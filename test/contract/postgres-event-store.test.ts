/**
 * `PostgresEventStore` against the real server: the shared contract on a
 * fresh schema per test, plus what only a server shows.
 */
import { describe } from 'node:test';
import { PostgresEventStore } from '../../src/adapters/postgres/postgres-event-store.js';
import { dropSchema, freshSchemaName, POSTGRES_URL } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { eventStoreContract } from './event-store.contract.js';

const skip = await requireService('postgres');

void describe('PostgresEventStore', { skip }, () => {
  eventStoreContract('PostgresEventStore', async () => {
    const schema = freshSchemaName();
    let store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = new PostgresEventStore({ connectionString: POSTGRES_URL, schema });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});
