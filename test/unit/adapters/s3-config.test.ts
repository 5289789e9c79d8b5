/**
 * The S3 store's configuration: the URL form (`parseS3Url`) and the option
 * checks `S3BlobStore` runs before it touches the network. No server needed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore, parseS3Url } from '../../../src/adapters/s3/index.js';
import type { S3BlobStoreOptions } from '../../../src/adapters/s3/index.js';
import { toMillraceError } from '../../../src/adapters/s3/s3-errors.js';
import { hasCode } from '../../../src/core/errors.js';

void describe('parseS3Url', () => {
  void it('reads bucket, prefix and every parameter', () => {
    assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket' });
    assert.deepEqual(parseS3Url('s3://my-bucket/'), { bucket: 'my-bucket' });
    assert.deepEqual(parseS3Url('s3://my-bucket/millrace/blobs/'), { bucket: 'my-bucket', prefix: 'millrace/blobs/' });
    assert.deepEqual(
      parseS3Url('s3://data.example/p%20q?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true&conditionalWrites=false&partSizeMiB=16&rangeReadMiB=32&rangeReadsInFlight=8&name=archive'),
      {
        bucket: 'data.example', prefix: 'p q', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1',
        forcePathStyle: true, conditionalWrites: false, partSizeBytes: 16 * 1024 * 1024, rangeReadBytes: 32 * 1024 * 1024, rangeReadsInFlight: 8, name: 'archive',
      },
    );
  });

  void it('gives options a store accepts', async () => {
    const store = new S3BlobStore(parseS3Url('s3://my-bucket/x?endpoint=http://127.0.0.1:1&forcePathStyle=true'));
    assert.equal(store.name, 's3');
    assert.deepEqual(store.rangeReads, { chunkBytes: 8 * 1024 * 1024, inFlight: 4 }, 'large reads, several in flight, by default');
    await store.close();
    const tuned = new S3BlobStore(parseS3Url('s3://my-bucket/x?endpoint=http://127.0.0.1:1&rangeReadMiB=2&rangeReadsInFlight=16'));
    assert.deepEqual(tuned.rangeReads, { chunkBytes: 2 * 1024 * 1024, inFlight: 16 });
    await tuned.close();
  });

  const bad: Array<[url: string, part: string, says: RegExp]> = [
    ['not a url', 'url', /not a URL/],
    ['https://my-bucket/x', 'scheme', /must be "s3:"/],
    ['s3://AKIA:secret@my-bucket/x', 'credentials', /do not belong in the URL/],
    ['s3://user@my-bucket', 'credentials', /AWS_ACCESS_KEY_ID/],
    ['s3://my-bucket:9000/x', 'bucket', /port/],
    ['s3://My_Bucket/x', 'bucket', /lower-case/],
    ['s3://ab', 'bucket', /3 to 63/],
    ['s3://10.0.0.1', 'bucket', /IP address/],
    ['s3://my-bucket/a/../b', 'prefix', /key segments/],
    ['s3://my-bucket/a//b', 'prefix', /key segments/],
    ['s3://my-bucket/%2e%2e/x', 'prefix', /key segments/],
    ['s3://my-bucket/%E0%A4%A', 'prefix', /percent-encoding/],
    ['s3://my-bucket?endpoint=ftp://host', '?endpoint', /http or https/],
    ['s3://my-bucket?endpoint=http://u:p@host:9000', '?endpoint', /credentials/],
    ['s3://my-bucket?endpoint=http://host:9000/path', '?endpoint', /origin only/],
    ['s3://my-bucket?endpoint=nope', '?endpoint', /not a URL/],
    ['s3://my-bucket?region=EU_West', '?region', /region/],
    ['s3://my-bucket?forcePathStyle=yes', '?forcePathStyle', /"true" or "false"/],
    ['s3://my-bucket?conditionalWrites=1', '?conditionalWrites', /"true" or "false"/],
    ['s3://my-bucket?partSizeMiB=4', '?partSizeMiB', /5 to 5120/],
    ['s3://my-bucket?partSizeMiB=8.5', '?partSizeMiB', /5 to 5120/],
    ['s3://my-bucket?rangeReadMiB=0', '?rangeReadMiB', /1 to 256/],
    ['s3://my-bucket?rangeReadMiB=1e3', '?rangeReadMiB', /1 to 256/],
    ['s3://my-bucket?rangeReadsInFlight=65', '?rangeReadsInFlight', /1 to 64/],
    ['s3://my-bucket?name=', '?name', /empty/],
    ['s3://my-bucket?regoin=eu-west-1', '?regoin', /not a known parameter/],
    ['s3://my-bucket?region=a&region=b', '?region', /twice/],
    ['s3://my-bucket#x', 'fragment', /not allowed/],
  ];
  for (const [url, part, says] of bad) {
    void it(`refuses ${url} naming ${part}`, () => {
      assert.throws(() => parseS3Url(url), (error: unknown) => {
        assert.ok(hasCode(error, 'CONFIG_INVALID'), String(error));
        const { message, details } = error as { message: string; details: { part?: string } };
        assert.equal(details.part, part);
        assert.match(message, says);
        assert.ok(!message.includes('secret'), 'a password never appears in the message');
        return true;
      });
    });
  }
});

void describe('S3BlobStore options', () => {
  const base: S3BlobStoreOptions = { bucket: 'my-bucket', endpoint: 'http://127.0.0.1:1' };
  const bad: Array<[options: Partial<S3BlobStoreOptions>, option: string]> = [
    [{ bucket: '' }, 'bucket'],
    [{ bucket: 'Bad_Name' }, 'bucket'],
    [{ prefix: '/abs' }, 'prefix'],
    [{ prefix: 'a/../b' }, 'prefix'],
    [{ partSizeBytes: 5 * 1024 * 1024 - 1 }, 'partSizeBytes'],
    [{ partSizeBytes: 1.5 * 1024 * 1024 * 1024 * 4 }, 'partSizeBytes'],
    [{ partConcurrency: 0 }, 'partConcurrency'],
    [{ listPageSize: 1001 }, 'listPageSize'],
    [{ rangeReadBytes: 1024 }, 'rangeReadBytes'],
    [{ rangeReadsInFlight: 0 }, 'rangeReadsInFlight'],
    [{ listConcurrency: 0.5 }, 'listConcurrency'],
    [{ endpoint: 'http://user:pw@host:9000' }, 'endpoint'],
    [{ region: 'Mars 1' }, 'region'],
  ];
  for (const [options, option] of bad) {
    void it(`refuses ${JSON.stringify(options)} naming ${option}`, () => {
      assert.throws(() => new S3BlobStore({ ...base, ...options }), (error: unknown) => {
        assert.ok(hasCode(error, 'CONFIG_INVALID'), String(error));
        assert.equal((error as { details: { option?: string } }).details.option, option);
        return true;
      });
    });
  }

  void it('refuses connection options beside a client, and leaves a given client alive on close', async () => {
    const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true });
    try {
      assert.throws(() => new S3BlobStore({ bucket: 'my-bucket', client, region: 'eu-west-1' }), /cannot be combined with a client/);
      const store = new S3BlobStore({ bucket: 'my-bucket', client });
      await store.close();
      assert.equal(await client.config.region(), 'us-east-1', 'still usable');
    } finally {
      client.destroy();
    }
  });
});

void describe('S3 error mapping', () => {
  const context = { operation: 'get' as const, bucket: 'b-1', key: 'k', host: 'minio.local:9000', secrets: ['AKIASECRETKEYID'] };
  const serviceError = (name: string, status: number, message = name): Error =>
    Object.assign(new Error(message), { name, Code: name, $metadata: { httpStatusCode: status, requestId: 'req-1' } });

  const cases: Array<[error: unknown, code: string]> = [
    [serviceError('NoSuchKey', 404), 'BLOB_NOT_FOUND'],
    [serviceError('NotFound', 404, 'UnknownError'), 'BLOB_NOT_FOUND'],
    [serviceError('NoSuchBucket', 404), 'CONFIG_INVALID'],
    [serviceError('PreconditionFailed', 412), 'BLOB_CONFLICT'],
    [serviceError('ConditionalRequestConflict', 409), 'BLOB_CONFLICT'],
    [serviceError('InvalidRange', 416), 'BLOB_RANGE_INVALID'],
    [serviceError('NotImplemented', 501), 'CONFIG_INVALID'],
    [serviceError('SlowDown', 503), 'NOT_AVAILABLE'],
    [serviceError('InternalError', 500), 'NOT_AVAILABLE'],
    [serviceError('AccessDenied', 403), 'NOT_AVAILABLE'],
    [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9000'), { code: 'ECONNREFUSED' }), 'NOT_AVAILABLE'],
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'CONFIG_INVALID'],
  ];
  for (const [error, code] of cases) {
    void it(`maps ${(error as Error).name} ${(error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? ''} to ${code}`, () => {
      const mapped = toMillraceError(error, context);
      assert.equal(mapped.code, code);
      assert.match(mapped.message, /minio\.local:9000/);
      assert.equal(mapped.details.host, 'minio.local:9000');
    });
  }

  void it('scrubs known credential values and keeps no SDK error as cause', () => {
    const mapped = toMillraceError(serviceError('InvalidAccessKeyId', 403, 'The key AKIASECRETKEYID does not exist'), context);
    assert.ok(!mapped.message.includes('AKIASECRETKEYID'), mapped.message);
    assert.match(mapped.message, /\[redacted\]/);
    assert.equal(mapped.cause, undefined);
    assert.equal(mapped.details.requestId, 'req-1');
  });
});
