/**
 * The PostgreSQL error mapping and schema-name rules: pure logic, no server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { classifyPgError, outcomeUnknown, redact, translatePgError, type PgErrorContext } from '../../../src/adapters/postgres/pg-errors.js';
import { inSchema, validateSchema } from '../../../src/adapters/postgres/pg-schema.js';
import { hasCode, MillraceError } from '../../../src/core/errors.js';

const SECRET_URL = 'postgres://app:hunter2@db.internal:6432/prod';
const context: PgErrorContext = { endpoint: 'db.internal:6432', secrets: [SECRET_URL, 'hunter2'], details: { streamId: 's' } };

function pgError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

void describe('classifyPgError', () => {
  void it('sorts driver errors by how to react', () => {
    assert.equal(classifyPgError(pgError('08006', 'connection failure')), 'connection');
    assert.equal(classifyPgError(pgError('57P01', 'terminating connection due to administrator command')), 'connection');
    assert.equal(classifyPgError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')), 'connection');
    assert.equal(classifyPgError(pgError('ECONNRESET', 'read ECONNRESET')), 'connection');
    assert.equal(classifyPgError(new Error('Connection terminated unexpectedly')), 'connection');
    assert.equal(classifyPgError(new Error('Client has encountered a connection error and is not queryable')), 'connection');
    assert.equal(classifyPgError(pgError('40001', 'could not serialize access')), 'transient');
    assert.equal(classifyPgError(pgError('40P01', 'deadlock detected')), 'transient');
    assert.equal(classifyPgError(pgError('23505', 'duplicate key')), 'unique');
    assert.equal(classifyPgError(pgError('28P01', 'password authentication failed for user "app"')), 'config');
    assert.equal(classifyPgError(pgError('3D000', 'database "prod" does not exist')), 'config');
    assert.equal(classifyPgError(pgError('42P01', 'relation does not exist')), 'other');
    assert.equal(classifyPgError(new MillraceError('CHECKPOINT_CONFLICT', 'stale')), 'other');
  });
});

void describe('translatePgError', () => {
  void it('reports an unreachable server as NOT_AVAILABLE naming host:port, with no secret and no cause', () => {
    const error = translatePgError(pgError('ECONNREFUSED', `connect ECONNREFUSED while opening ${SECRET_URL}`), context);
    assert.ok(hasCode(error, 'NOT_AVAILABLE'));
    assert.match((error as Error).message, /db\.internal:6432/);
    assert.equal((error as Error).cause, undefined);
    const shown = inspect(error, { depth: 10 }) + JSON.stringify(error);
    assert.ok(!shown.includes('hunter2'), shown);
    assert.deepEqual((error as MillraceError).details, { streamId: 's', endpoint: 'db.internal:6432', pgCode: 'ECONNREFUSED' });
  });

  void it('maps unique violations through the adapter, credentials problems to CONFIG_INVALID, and passes the rest', () => {
    const conflict = new MillraceError('EVENT_STORE_VERSION_CONFLICT', 'raced');
    const unique = pgError('23505', 'duplicate key value', { constraint: 'events_stream_version_key' });
    assert.equal(translatePgError(unique, { ...context, uniqueViolation: (c) => (c === 'events_stream_version_key' ? conflict : undefined) }), conflict);
    assert.equal(translatePgError(unique, context), unique, 'no mapping: the driver error passes with its SQLSTATE');
    assert.ok(hasCode(translatePgError(pgError('28P01', 'password authentication failed for user "app"'), context), 'CONFIG_INVALID'));
    const other = pgError('42P01', 'relation "x" does not exist');
    assert.equal(translatePgError(other, context), other);
    assert.equal(translatePgError(conflict, context), conflict);
  });

  void it('says when a lost COMMIT leaves the outcome unknown', () => {
    const error = outcomeUnknown(context, new Error('Connection terminated unexpectedly'));
    assert.ok(hasCode(error, 'NOT_AVAILABLE'));
    assert.equal(error.details.outcome, 'unknown');
  });

  void it('redacts secrets, user:password@ in any URL, and password= settings', () => {
    assert.equal(redact(`failed: ${SECRET_URL}`, [SECRET_URL]), 'failed: ***');
    assert.equal(redact('see postgresql://u:p4ss@h/db', []), 'see postgresql://***@h/db');
    assert.equal(redact('host=h password=p4ss dbname=x', []), 'host=h password=*** dbname=x');
  });
});

void describe('schema names', () => {
  void it('accepts plain lower-case identifiers and quotes them into SQL', () => {
    assert.equal(validateSchema('orders_prod'), 'orders_prod');
    assert.equal(inSchema('SELECT 1 FROM {schema}.events', 'orders_prod'), 'SELECT 1 FROM "orders_prod".events');
  });

  void it('refuses anything else with CONFIG_INVALID', () => {
    for (const bad of ['', 'Orders', '1st', 'a-b', 'a"b', 'x; DROP SCHEMA public', 'pg_temp', 'a'.repeat(64)]) {
      assert.throws(() => validateSchema(bad), (e) => hasCode(e, 'CONFIG_INVALID'), bad);
    }
  });
});
