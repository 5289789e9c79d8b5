import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeBackends, resolveBackends } from '../../../src/runtime/backends.js';
import { redactUrl } from '../../../src/core/redact.js';

describe('backend selection', () => {
  it('stays embedded when nothing is set', () => {
    assert.deepEqual(resolveBackends({}, {}), { queue: { kind: 'sqlite' }, store: { kind: 'sqlite' }, blobs: { kind: 'fs' } });
  });

  it('picks cluster adapters from URLs in options or environment, options first', () => {
    const backends = resolveBackends({ queue: 'amqp://u:p@mq:5672/vh' }, {
      MILLRACE_QUEUE: 'amqp://ignored', MILLRACE_STORE: 'postgres://u:p@db:5432/app?schema=tenant_a', MILLRACE_BLOBS: 's3://bucket/prefix?endpoint=http://127.0.0.1:9000',
    });
    assert.deepEqual(backends.queue, { kind: 'rabbitmq', url: 'amqp://u:p@mq:5672/vh', prefix: '' });
    assert.deepEqual(backends.store, { kind: 'postgres', url: 'postgres://u:p@db:5432/app', schema: 'tenant_a' });
    assert.equal(backends.blobs.kind, 's3');
  });

  it('takes the RabbitMQ queue prefix and the PostgreSQL schema out of their URLs', () => {
    const backends = resolveBackends({}, { MILLRACE_QUEUE: 'amqp://u:p@mq:5672/vh?prefix=team-a&heartbeat=10', MILLRACE_STORE: 'postgresql://db/app?schema=team_a' });
    assert.deepEqual(backends.queue, { kind: 'rabbitmq', url: 'amqp://u:p@mq:5672/vh?heartbeat=10', prefix: 'team-a' });
    assert.deepEqual(backends.store, { kind: 'postgres', url: 'postgresql://db/app', schema: 'team_a' });
    assert.equal(describeBackends(backends), 'queue: rabbitmq amqp://mq:5672/vh prefix team-a; store: postgres postgresql://db/app schema team_a; blobs: files');
  });

  it('names the variable and the expected scheme on a wrong URL, never the credentials', () => {
    assert.throws(() => resolveBackends({}, { MILLRACE_QUEUE: 'redis://user:hunter2@cache:6379' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /MILLRACE_QUEUE must start with amqp:\/\/ or amqps:\/\//);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
    assert.throws(() => resolveBackends({}, { MILLRACE_STORE: 'not a url' }), { code: 'CONFIG_INVALID', message: /MILLRACE_STORE is not a valid URL/ });
  });

  it('describes backends without credentials', () => {
    const text = describeBackends(resolveBackends({}, { MILLRACE_STORE: 'postgres://admin:s3cret@db:5432/app' }));
    assert.equal(text, 'queue: sqlite; store: postgres postgres://db:5432/app schema millrace; blobs: files');
    assert.equal(redactUrl('amqps://u:p@mq:5671/vh?token=abc'), 'amqps://mq:5671/vh');
  });
});
