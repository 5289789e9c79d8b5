/**
 * `PostgresLog` against the real server: the shared contract on a fresh
 * schema per test, plus what only a server shows.
 */
import { describe } from 'node:test';
import { PostgresLog } from '../../src/adapters/postgres/postgres-log.js';
import { dropSchema, freshSchemaName, POSTGRES_URL } from '../helpers/postgres.js';
import { requireService } from '../helpers/services.js';
import { logContract } from './log.contract.js';

const skip = await requireService('postgres');

void describe('PostgresLog', { skip }, () => {
  logContract('PostgresLog', async () => {
    const schema = freshSchemaName();
    let log = new PostgresLog({ connectionString: POSTGRES_URL, schema });
    return {
      log,
      reopen: async () => {
        await log.close();
        log = new PostgresLog({ connectionString: POSTGRES_URL, schema });
        return log;
      },
      cleanup: async () => {
        await log.close();
        await dropSchema(schema);
      },
    };
  });
});
