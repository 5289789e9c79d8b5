/**
 * @module bench/postgres-append
 * Append throughput of the PostgreSQL adapters against the local server:
 * single-event `EventStore.append`s (one caller, then 8 concurrent callers,
 * which the per-schema append lock serialises), and `Log.append` in batches
 * of 1,000 records. Each run uses a fresh schema, dropped afterwards.
 *
 * `node --import tsx bench/postgres-append.ts [--quick]`
 * (standalone for now: not yet registered with bench/run.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from '../src/adapters/postgres/postgres-event-store.js';
import { PostgresLog } from '../src/adapters/postgres/postgres-log.js';

const URL = process.env.MILLRACE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quick = process.argv.includes('--quick');
const EVENTS = quick ? 500 : 3_000;
const BATCHES = quick ? 5 : 30;
const RUNS = 3;

async function admin(text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: URL });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

async function withSchema<T>(work: (schema: string) => Promise<T>): Promise<T> {
  const schema = `mr_bench_${randomBytes(6).toString('hex')}`;
  try {
    return await work(schema);
  } finally {
    await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

/** Single-event appends by `callers` concurrent callers, each on its own streams; events/s. */
function eventAppends(callers: number): Promise<number> {
  return withSchema(async (schema) => {
    const store = new PostgresEventStore({ connectionString: URL, schema, maxConnections: Math.max(callers, 1) + 1 });
    try {
      await store.migrate();
      const perCaller = Math.floor(EVENTS / callers);
      const started = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          for (let i = 0; i < perCaller; i++) await store.append(`stream-${c}-${i % 50}`, [{ type: 'TaskCompleted', data: { c, i, result: 'ok' } }], 'any');
        }),
      );
      return (perCaller * callers) / ((performance.now() - started) / 1000);
    } finally {
      await store.close();
    }
  });
}

/** Batches of 1,000 keyed records (~100-byte values) over 4 partitions, one caller; records/s. */
function logBatches(): Promise<number> {
  return withSchema(async (schema) => {
    const log = new PostgresLog({ connectionString: URL, schema });
    try {
      await log.createTopic('clicks', { partitions: 4 });
      const batches = Array.from({ length: BATCHES }, (_, b) =>
        Array.from({ length: 1000 }, (_, i) => ({ key: `user-${(b * 1000 + i) % 997}`, value: { page: `/p/${i}`, at: b * 1000 + i, agent: 'bench/1.0 (x86_64)', ref: 'https://example.org/' } })),
      );
      const started = performance.now();
      for (const batch of batches) await log.append('clicks', batch);
      return (BATCHES * 1000) / ((performance.now() - started) / 1000);
    } finally {
      await log.close();
    }
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const [settings] = await admin(
    "SELECT version() AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, current_setting('wal_sync_method') AS wal_sync_method",
  );
  console.log(`conditions: ${String(settings?.version)}; fsync=${String(settings?.fsync)}, synchronous_commit=${String(settings?.synchronous_commit)}, wal_sync_method=${String(settings?.wal_sync_method)}; loopback TCP; median of ${RUNS} runs`);
  const rows: Array<[string, number[]]> = [
    ['event store, single-event appends, 1 caller (events/s)', []],
    ['event store, single-event appends, 8 callers (events/s)', []],
    ['log, batches of 1,000 records, 1 caller (records/s)', []],
  ];
  for (let run = 0; run < RUNS; run++) {
    rows[0]![1].push(await eventAppends(1));
    rows[1]![1].push(await eventAppends(8));
    rows[2]![1].push(await logBatches());
  }
  for (const [name, values] of rows) {
    console.log(`${name}: median ${Math.round(median(values))} (min ${Math.round(Math.min(...values))}, max ${Math.round(Math.max(...values))})`);
  }
}

await main();
