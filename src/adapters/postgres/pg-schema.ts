/**
 * @module adapters/postgres/pg-schema
 * One PostgreSQL schema per deployment: every table of every adapter lives
 * in it, so two deployments (or two test runs) share a database without
 * seeing each other. The schema name is the only identifier that varies;
 * it is validated and quoted here, and substituted for `{schema}` in the
 * adapters' SQL constants. Values are always bound parameters.
 *
 * Migrations are numbered per component (`0001_events`, …) and applied at
 * start in one transaction that first takes an advisory lock on the schema,
 * so two processes starting together apply each migration exactly once:
 * the second waits, then finds them recorded. PostgreSQL DDL is
 * transactional, so a failed migration leaves nothing half-made.
 */
import type { PoolClient } from 'pg';
import { MillraceError } from '../../core/errors.js';
import { hashKey } from '../../core/ids.js';

/** Schema used when none is given. */
export const DEFAULT_SCHEMA = 'millrace';

/** Lower-case, unquoted-identifier style, at most 63 bytes (PostgreSQL's NAMEDATALEN - 1). */
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * First half of the two-key advisory locks Millrace takes ('MR' 'mi'), so
 * they cannot be mistaken for an application's single-key locks.
 */
export const ADVISORY_LOCK_CLASS = 0x4d526d69;

/** One numbered schema change: its statements run in order, in the migrating transaction. */
export interface PgMigration {
  version: number;
  /** `0001_events` style. */
  name: string;
  /** SQL with `{schema}` where the quoted schema name goes; one statement each. */
  statements: readonly string[];
}

/**
 * Returns `schema` if it is a safe schema name.
 *
 * @throws MillraceError `CONFIG_INVALID` unless it matches `/^[a-z_][a-z0-9_]{0,62}$/` and avoids the reserved `pg_` prefix
 */
export function validateSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_PATTERN.test(schema) || schema.startsWith('pg_')) {
    throw new MillraceError('CONFIG_INVALID', `schema name must match ${String(SCHEMA_PATTERN)} and not start with pg_, not ${JSON.stringify(schema)}`, {
      schema: String(schema),
    });
  }
  return schema;
}

/** Quotes an identifier the way PostgreSQL reads it back (doubling any `"`). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Puts the quoted, validated schema where an SQL constant says `{schema}`. */
export function inSchema(sql: string, schema: string): string {
  return sql.replaceAll('{schema}', quoteIdent(validateSchema(schema)));
}

const CREATE_SCHEMA = 'CREATE SCHEMA IF NOT EXISTS {schema}';
/** Serialises migrations of one schema across processes; released at COMMIT. */
const LOCK_SCHEMA = 'SELECT pg_advisory_xact_lock($1::int4, $2::int4)';
const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
  )`;
const SELECT_APPLIED = 'SELECT version FROM {schema}.schema_migrations WHERE component = $1';
const INSERT_APPLIED = 'INSERT INTO {schema}.schema_migrations (component, version, name) VALUES ($1, $2, $3)';

/**
 * Applies `component`'s migrations not yet recorded in `schema`. Runs on a
 * client inside an open transaction (the caller commits), holding the
 * schema's advisory lock from the first statement.
 */
export async function applyMigrations(client: PoolClient, schema: string, component: string, migrations: readonly PgMigration[]): Promise<void> {
  await client.query(LOCK_SCHEMA, [ADVISORY_LOCK_CLASS, hashKey(`schema:${schema}`) | 0]);
  await client.query(inSchema(CREATE_SCHEMA, schema));
  await client.query(inSchema(CREATE_MIGRATIONS_TABLE, schema));
  const applied = await client.query<{ version: number }>(inSchema(SELECT_APPLIED, schema), [component]);
  const done = new Set(applied.rows.map((row) => row.version));
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((migration) => !done.has(migration.version));
  for (const migration of pending) {
    for (const statement of migration.statements) await client.query(inSchema(statement, schema));
    await client.query(inSchema(INSERT_APPLIED, schema), [component, migration.version, migration.name]);
  }
}
