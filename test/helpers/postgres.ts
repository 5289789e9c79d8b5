/**
 * PostgreSQL for tests: the local server (or `MILLRACE_TEST_POSTGRES_URL`),
 * a fresh schema per test so tests never see each other's rows, and a way
 * to drop it afterwards. Gate suites with `requireService('postgres')`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the tests' PostgreSQL is. Trust auth, database `test`. */
export const POSTGRES_URL = process.env.MILLRACE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A random schema name no other test uses. */
export function freshSchemaName(): string {
  return `mr_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on a short-lived connection (setup, sabotage, clean-up). */
export async function adminQuery<R extends object = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'millrace-test-admin' });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops a test schema and everything in it. The name is one `freshSchemaName` made, so quoting is plain. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^mr_test_[0-9a-f]{12}$/.test(schema)) throw new Error(`refusing to drop ${schema}: not a test schema`);
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A pool for tests that share one between adapters; its idle-connection errors are expected (terminated backends). */
export function createTestPool(applicationName = 'millrace-test-shared', max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, application_name: applicationName, max });
  pool.on('error', () => undefined);
  return pool;
}

/** Terminates every backend whose `application_name` is the given one; returns how many. */
export async function terminateBackends(applicationName: string): Promise<number> {
  const rows = await adminQuery<{ terminated: boolean }>(
    'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
    [applicationName],
  );
  return rows.filter((row) => row.terminated).length;
}
