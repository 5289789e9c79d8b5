/**
 * @module adapters/postgres/pg-database
 * Where a PostgreSQL adapter gets its connections, and how it runs work on
 * them: a pool it creates (and so ends) or one it borrows; migrations
 * applied once, lazily; and one loop that retries what is safe to retry.
 *
 * ```
 * run(work) ─► connect ─► [BEGIN …] ─► work(client) ─► [COMMIT] ─► result
 *                 │               │                        │
 *                 │  refused,     │  dropped socket,       │  dropped socket while committing:
 *                 │  dropped      │  deadlock (40P01),     │  outcome unknown ─► `ambiguous`:
 *                 └───────────────┴─ serialization (40001) │    'retry'  (work recognises its own commit)
 *                        ─► fresh connection, run again    │    resolve  (look, then return or run again)
 *                                                          │    neither  ─► NOT_AVAILABLE, outcome unknown
 * ```
 *
 * A transaction that never reached COMMIT did not happen, so running it
 * again on a fresh connection is always safe; only a lost COMMIT (or a lost
 * single-statement write) is ambiguous, and each adapter says how to settle it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { MillraceError, type ErrorDetails } from '../../core/errors.js';
import { stableHash } from '../../core/ids.js';
import { classifyPgError, connectFailure, outcomeUnknown, translatePgError, type PgErrorContext } from './pg-errors.js';
import { applyMigrations, DEFAULT_SCHEMA, inSchema, validateSchema, type PgMigration } from './pg-schema.js';

/**
 * Connection settings every PostgreSQL adapter takes. Give a `pool` to share
 * connections (and transactions) between adapters, or a `connectionString`
 * for the adapter to open its own pool; with neither, node-postgres' defaults
 * apply (the `PG*` environment variables, then localhost:5432).
 */
export interface PostgresOptions {
  /**
   * A pool to borrow: never ended by the adapter. Attach your own `'error'`
   * listener to it, as node-postgres requires: an idle connection the server
   * drops is reported there. @defaultValue a pool the adapter opens and ends
   */
  pool?: Pool;
  /** `postgres://user:password@host:port/database`; never shown in errors. @defaultValue node-postgres' defaults */
  connectionString?: string;
  /** Schema holding this deployment's tables, created if missing. @defaultValue `'millrace'` */
  schema?: string;
  /**
   * `application_name` of the pool the adapter opens (ignored with `pool`), shown in
   * `pg_stat_activity`. @defaultValue `'millrace-event-store'`, `'millrace-log'` or `'millrace-checkpoint-store'`
   */
  applicationName?: string;
  /** Size of the pool the adapter opens (ignored with `pool`). @defaultValue 10 */
  maxConnections?: number;
  /** Times a dropped connection, deadlock or serialization failure is retried. @defaultValue 4 */
  retries?: number;
  /** First retry delay in ms, doubled on each retry after. @defaultValue 10 */
  retryDelayMs?: number;
}

/** A named prepared statement (see {@link PgDatabase.statement}). */
export interface PgStatement {
  name: string;
  text: string;
}

/** How to settle a write whose COMMIT was lost: run it again, or look whether it landed. */
export type AmbiguousCommit<T> = 'retry' | (() => Promise<T | undefined>);

/** How `run` treats one piece of work. */
export interface RunOptions<T> {
  /** The ids the work concerns, for error details. */
  details: ErrorDetails;
  /** Opens a transaction (`'BEGIN'`, optionally followed by `; SELECT pg_advisory_xact_lock(…)`); absent, the work runs in autocommit. */
  begin?: string;
  /** See {@link PgErrorContext.uniqueViolation}. */
  uniqueViolation?: PgErrorContext['uniqueViolation'];
  /** Absent: a lost COMMIT (or a lost autocommit statement) fails with `NOT_AVAILABLE`, outcome unknown. */
  ambiguous?: AmbiguousCommit<T>;
}

/** The pool, schema and retry loop behind one adapter. */
export class PgDatabase {
  readonly pool: Pool;
  readonly schema: string;
  /** `host:port`, the only part of the settings that errors name. */
  readonly endpoint: string;
  private readonly owned: boolean;
  private readonly secrets: string[];
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private migrated: Promise<void> | undefined;

  constructor(
    options: PostgresOptions,
    private readonly component: { name: string; applicationName: string; migrations: readonly PgMigration[] },
  ) {
    this.schema = validateSchema(options.schema ?? DEFAULT_SCHEMA);
    this.retries = nonNegative(options.retries ?? 4, 'retries');
    this.retryDelayMs = nonNegative(options.retryDelayMs ?? 10, 'retryDelayMs');
    const { endpoint, password } = describeEndpoint(options);
    this.endpoint = endpoint;
    this.secrets = [options.connectionString ?? '', password ?? ''];
    if (options.pool !== undefined) {
      this.pool = options.pool;
      this.owned = false;
    } else {
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        application_name: options.applicationName ?? component.applicationName,
        max: options.maxConnections ?? 10,
      });
      // An idle connection the server dropped (a restart, pg_terminate_backend)
      // is reported here; the pool has already discarded it, and the next
      // checkout opens a fresh one. Without a listener it would crash the process.
      this.pool.on('error', () => undefined);
      this.owned = true;
    }
  }

  /** SQL constant with this deployment's schema in place of `{schema}`. */
  sql(text: string): string {
    return inSchema(text, this.schema);
  }

  /**
   * A parameterised SQL constant as a named prepared statement: each
   * connection parses and plans it once, then only binds values (the
   * planning of the batch statements costs as much as a round trip). The
   * name derives from the text, schema included, so it never clashes.
   */
  statement(text: string): PgStatement {
    const sql = this.sql(text);
    return { name: `millrace_${stableHash(sql)}`, text: sql };
  }

  /** Applies the component's migrations once; a failed attempt is retried by the next call. */
  ready(): Promise<void> {
    this.migrated ??= this.run((client) => applyMigrations(client, this.schema, this.component.name, this.component.migrations), {
      details: { schema: this.schema, component: this.component.name },
      begin: 'BEGIN',
      ambiguous: 'retry',
    }).catch((error: unknown) => {
      this.migrated = undefined;
      throw error;
    });
    return this.migrated;
  }

  /** A read (or an idempotent write) in autocommit, retried freely. */
  async query<R extends object>(statement: PgStatement, values: readonly unknown[], details: ErrorDetails): Promise<R[]> {
    return this.run(async (client) => (await client.query<R>({ ...statement, values: values as unknown[] })).rows, { details, ambiguous: 'retry' });
  }

  /**
   * Runs `work` on one connection, in a transaction if `options.begin` is
   * set, retrying per the module comment. `work` may run more than once, so
   * it must do nothing outside the database that cannot be repeated; its
   * `attempt` (1, 2, …) says whether an earlier run may have committed.
   */
  async run<T>(work: (client: PoolClient, attempt: number) => Promise<T>, options: RunOptions<T>): Promise<T> {
    const context = this.context(options.details, options.uniqueViolation);
    for (let attempt = 1; ; attempt++) {
      const canRetry = attempt <= this.retries;
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        if (canRetry && classifyPgError(error) === 'connection') {
          await this.backoff(attempt);
          continue;
        }
        throw connectFailure(error, context);
      }
      // A checked-out client that loses its socket between two queries emits
      // 'error' with nobody listening; the next query then fails and is handled below.
      const onError = (): void => undefined;
      client.on('error', onError);
      let committing = options.begin === undefined;
      try {
        if (options.begin !== undefined) await client.query(options.begin);
        const result = await work(client, attempt);
        if (options.begin !== undefined) {
          committing = true;
          await client.query('COMMIT');
        }
        release(client, onError, false);
        return result;
      } catch (error) {
        const kind = classifyPgError(error);
        const healthy = kind !== 'connection' && (options.begin === undefined || (await rollback(client)));
        release(client, onError, !healthy);
        if (kind === 'transient' && canRetry) {
          await this.backoff(attempt);
          continue;
        }
        if (kind !== 'connection') throw translatePgError(error, context);
        if (!committing || options.ambiguous === 'retry') {
          if (!canRetry) throw translatePgError(error, context);
          await this.backoff(attempt);
          continue;
        }
        if (options.ambiguous === undefined) throw outcomeUnknown(context, error);
        const landed = await options.ambiguous().catch(() => {
          throw outcomeUnknown(context, error);
        });
        if (landed !== undefined) return landed;
        if (!canRetry) throw translatePgError(error, context);
      }
    }
  }

  /**
   * Runs `work` in one transaction on one connection: the way to commit the
   * writes of several adapters sharing this pool atomically. Retried (so
   * `work` may run again) after a deadlock, a serialization failure or a
   * connection lost before COMMIT; a connection lost during COMMIT fails
   * with `NOT_AVAILABLE`, outcome unknown.
   */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.run((client) => work(client), { details: { schema: this.schema }, begin: 'BEGIN' });
  }

  /** Ends the pool if this adapter opened it. */
  async close(): Promise<void> {
    if (this.owned) await this.pool.end();
  }

  /** The error context for this database, for adapters that translate errors themselves. */
  context(details: ErrorDetails, uniqueViolation?: PgErrorContext['uniqueViolation']): PgErrorContext {
    return { endpoint: this.endpoint, secrets: this.secrets, details, uniqueViolation };
  }

  /** Translates an error raised on a caller's connection (the `…In` methods), with this database's context. */
  translate(error: unknown, details: ErrorDetails): unknown {
    return translatePgError(error, this.context(details));
  }

  private async backoff(attempt: number): Promise<void> {
    // Driver-level pacing, not domain time: it must pass even when an adapter
    // is given a manual clock that a test never advances.
    await sleep(this.retryDelayMs * 2 ** (attempt - 1));
  }
}

/** ROLLBACK after a failed statement; false if the connection is no longer fit to reuse. */
async function rollback(client: PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}

/** Returns the client to the pool, or destroys it when its connection is broken or its state unknown. */
function release(client: PoolClient, onError: () => void, destroy: boolean): void {
  client.removeListener('error', onError);
  client.release(destroy);
}

function nonNegative(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new MillraceError('CONFIG_INVALID', `${name} must be a whole number ≥ 0, not ${value}`, { [name]: value });
  return value;
}

/**
 * `host:port` from the settings, for messages; and the password, to scrub
 * from them. Parsing never throws: an unparseable string is reported when
 * the pool first connects, without being echoed.
 */
function describeEndpoint(options: PostgresOptions): { endpoint: string; password: string | undefined } {
  const text = options.connectionString ?? options.pool?.options.connectionString;
  if (text !== undefined) {
    try {
      const url = new URL(text);
      const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'localhost') : url.hostname;
      return { endpoint: `${host}:${url.port === '' ? '5432' : url.port}`, password: url.password === '' ? undefined : decodeURIComponent(url.password) };
    } catch {
      return { endpoint: 'PostgreSQL (connection string not shown)', password: undefined };
    }
  }
  const poolOptions = options.pool?.options;
  const host = poolOptions?.host ?? process.env.PGHOST ?? 'localhost';
  const port = poolOptions?.port ?? process.env.PGPORT ?? 5432;
  const password = typeof poolOptions?.password === 'string' ? poolOptions.password : undefined;
  return { endpoint: `${host}:${port}`, password };
}
