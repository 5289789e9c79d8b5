/** Configuration is input too: config files, MILLRACE_* variables and backend URLs each refuse a bad value by name. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveBackends } from '../../../src/runtime/backends.js';
import { configFileVariables } from '../../../src/runtime/config-file.js';
import { resolveConfig } from '../../../src/runtime/config.js';
import { parseS3Url } from '../../../src/adapters/s3/s3-url.js';
import { validateSchema } from '../../../src/adapters/postgres/pg-schema.js';

describe('configuration: malformed input', () => {
  it('refuses config file settings that are not settings, even names Object.prototype has', () => {
    for (const field of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'Threads', 'data_dir']) {
      const config = JSON.parse(`{${JSON.stringify(field)}: 1}`) as unknown;
      assert.throws(() => configFileVariables(config, 'c.mjs'), { code: 'CONFIG_INVALID', message: new RegExp(`c\\.mjs: unknown setting "${field}" \\(known: dataDir,`) }, field);
    }
  });

  it('refuses config file values of the wrong type, and numbers that are not finite', () => {
    assert.throws(() => configFileVariables({ queue: 5 }, 'c.mjs'), { message: /c\.mjs: queue must be a string, got 5/ });
    assert.throws(() => configFileVariables({ threads: Number.NaN }, 'c.mjs'), { message: /c\.mjs: threads must be a finite number, got NaN/ });
    assert.throws(() => configFileVariables({ claimCheckBytes: Infinity }, 'c.mjs'), { message: /claimCheckBytes must be a finite number, got Infinity/ });
    for (const config of [null, 'queue=amqp://x', [], 42]) assert.throws(() => configFileVariables(config, 'c.mjs'), { message: /must export default an object/ });
  });

  it('reads counts from the environment as decimal digits only, naming the variable', () => {
    for (const raw of ['0x10', '1e1', '4.5', 'four', '-2', ' 3 4']) {
      assert.throws(() => resolveConfig({}, { MILLRACE_THREADS: raw }), { code: 'CONFIG_INVALID', message: new RegExp(`MILLRACE_THREADS must be a whole number in decimal digits, got ${JSON.stringify(raw)}`) }, raw);
    }
    assert.equal(resolveConfig({}, { MILLRACE_THREADS: ' 3 ' }).threads, 3);
    assert.throws(() => resolveConfig({}, { MILLRACE_THREADS: '0' }), { message: /threads must be an integer from 1 to 1024, got 0/ });
    assert.throws(() => resolveConfig({}, { MILLRACE_CLAIM_CHECK_BYTES: '12' }), { message: /claimCheckBytes must be an integer ≥ 1024, got 12/ });
    assert.throws(() => resolveConfig({}, { MILLRACE_LOG_LEVEL: 'loud' }), { message: /logLevel must be debug \| info \| warn \| error \| silent, got "loud"/ });
    assert.throws(() => resolveConfig({}, { MILLRACE_BLOB_TTL_MS: '5000' }), { message: /blobTtlMs must be an integer ≥ 60000 \(one minute\), got 5000/ });
    assert.equal(resolveConfig({}, {}).blobTtlMs, 24 * 3_600_000);
  });

  it('refuses backend URLs of the wrong scheme, or not URLs, naming the variable and never the password', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ MILLRACE_QUEUE: 'http://user:hunter2@mq:5672' }, /MILLRACE_QUEUE must start with amqp:\/\/ or amqps:\/\//],
      [{ MILLRACE_QUEUE: 'not a url' }, /MILLRACE_QUEUE is not a valid URL/],
      [{ MILLRACE_STORE: 'mysql://user:hunter2@db/app' }, /MILLRACE_STORE must start with postgres:\/\/ or postgresql:\/\//],
      [{ MILLRACE_BLOBS: '/var/data' }, /MILLRACE_BLOBS is not a valid URL/],
      [{ MILLRACE_BLOBS: 'file:///etc' }, /MILLRACE_BLOBS must start with s3:\/\//],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => resolveBackends({}, env), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, message);
        assert.ok(!error.message.includes('hunter2'), 'the password is not in the message');
        return true;
      });
    }
  });

  it('refuses the parts of backend URLs the adapters would use as names: schema, bucket, prefix, endpoint', () => {
    assert.throws(() => validateSchema('x;drop table y'), { code: 'CONFIG_INVALID', message: /schema name must match/ });
    assert.throws(() => validateSchema('pg_catalog'), { code: 'CONFIG_INVALID' });
    assert.throws(() => parseS3Url('s3://bucket/../x'), { code: 'CONFIG_INVALID', message: /S3 URL prefix "\.\.\/x"/ });
    assert.throws(() => parseS3Url('s3://Bad_Bucket/x'), { code: 'CONFIG_INVALID', message: /bucket "Bad_Bucket"/ });
    assert.throws(() => parseS3Url('s3://bucket/x?endpoint=file:///etc'), { code: 'CONFIG_INVALID', message: /\?endpoint must be http or https/ });
  });
});
