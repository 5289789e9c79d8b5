/**
 * Runs the BlobStore contract against `S3BlobStore` on s3rver (a fresh
 * bucket per test), twice: as s3rver is (it ignores `If-None-Match`, so
 * immutability rests on the store's HEAD and its per-key turns) and with
 * the harness making it honour `If-None-Match: *` as AWS S3 does. Then what
 * only an S3 store can get wrong: multipart uploads and their abort, list
 * paging and its HEAD per key, prefixes, foreign objects, writers in other
 * processes, unreachable servers, and credentials leaking into errors.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/adapters/s3/index.js';
import type { S3BlobStoreOptions } from '../../src/adapters/s3/index.js';
import { hasCode } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import type { BlobRef } from '../../src/ports/blob-store.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../helpers/s3rver.js';
import type { S3rverHandle } from '../helpers/s3rver.js';
import { assertSameBytes, blobStoreContract } from './blob-store.contract.js';

const MiB = 1024 * 1024;
const PREFIX = 'blobs/';
let plain: S3rverHandle;
let conditional: S3rverHandle;
const clients: S3Client[] = [];
let buckets = 0;

before(async () => {
  [plain, conditional] = await Promise.all([startS3rver(), startS3rver({ conditionalWrites: true })]);
});

after(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([plain?.stop(), conditional?.stop()]);
});

for (const [label, server, conditionalWrites] of [['s3 (s3rver)', () => plain, false], ['s3 (If-None-Match honoured)', () => conditional, true]] as const) {
  blobStoreContract(label, async () => {
    const bucket = await freshBucket(server());
    return {
      store: storeOn(server(), bucket, { conditionalWrites }),
      corrupt: (key, mode) => corruptObject(server(), bucket, PREFIX + key, mode),
      modifiedAtResolutionMs: 1000,
      cleanup: async () => undefined, // the bucket goes with the server's directory
    };
  });
}

void describe('S3BlobStore on s3rver', () => {
  void it('streams a 12 MB body up in 5 MiB parts and reads it back whole and across part edges', async () => {
    const bucket = await freshBucket(plain);
    const { client, commands } = recordingClient(plain);
    const store = new S3BlobStore({ bucket, prefix: PREFIX, client, partSizeBytes: 5 * MiB, conditionalWrites: false });
    try {
      const content = pseudoRandom(12 * 1000 * 1000, 7);
      const ref = await store.put('big/streamed', Readable.from(chunks(content, 64 * 1024)));
      assert.deepEqual(ref, { store: 's3', key: 'big/streamed', size: content.length, sha256: sha256(content) });
      assert.deepEqual(commands.filter((c) => /Multipart|UploadPart/.test(c)),
        ['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
      assertSameBytes(await store.get(ref), content);
      assertSameBytes(await store.getRange(ref, 5 * MiB - 10, 20), content.subarray(5 * MiB - 10, 5 * MiB + 10));
      assert.deepEqual(await store.head('big/streamed'), ref);
    } finally {
      await store.close();
    }
  });

  void it('uploads a Uint8Array larger than one part in parts, and a retry of it costs a HEAD and an in-place copy (its age refreshed), not an upload', async () => {
    const bucket = await freshBucket(plain);
    const { client, commands } = recordingClient(plain);
    const store = new S3BlobStore({ bucket, client, partSizeBytes: 5 * MiB, partConcurrency: 2, conditionalWrites: true });
    try {
      const content = pseudoRandom(11 * MiB, 8);
      const ref = await store.put('bytes', content);
      assert.equal(commands.filter((c) => c === 'UploadPartCommand').length, 3);
      commands.length = 0;
      assert.deepEqual(await store.put('bytes', content), ref);
      assert.deepEqual(commands, ['HeadObjectCommand', 'CopyObjectCommand']);
      await rejectsWith(store.put('bytes', pseudoRandom(11 * MiB, 9)), 'BLOB_CONFLICT');
      assertSameBytes(await store.get(ref), content);
    } finally {
      await store.close();
    }
  });

  void it('aborts the multipart upload and stores nothing when a part fails', async () => {
    const bucket = await freshBucket(plain);
    const { client, commands } = recordingClient(plain, (command, input) => {
      if (command === 'UploadPartCommand' && (input as { PartNumber?: number }).PartNumber === 2) throw new Error('injected part failure');
    });
    const store = new S3BlobStore({ bucket, client, partSizeBytes: 5 * MiB, partConcurrency: 1 });
    try {
      const error = await rejectsWith(store.put('half', pseudoRandom(12 * MiB, 10)), 'NOT_AVAILABLE');
      assert.match(error.message, /injected part failure/);
      assert.ok(commands.includes('AbortMultipartUploadCommand'), commands.join());
      assert.ok(!commands.includes('CompleteMultipartUploadCommand'));
      assert.equal(commands.filter((c) => c === 'UploadPartCommand').length, 2, 'no part after the failed one');
      assert.equal(await store.head('half'), undefined);
    } finally {
      await store.close();
    }
  });

  void it('lists page by page in key order, skipping names it could not have written, within its prefix only', async () => {
    const bucket = await freshBucket(plain);
    const store = storeOn(plain, bucket, { listPageSize: 2, listConcurrency: 3 });
    const neighbour = storeOn(plain, bucket, { prefix: 'blobsx' });
    try {
      const keys = ['b', 'a/b', 'a.c', 'a', 'a-', 'a0', 'ünï', 'z/y'];
      const refs = new Map<string, BlobRef>();
      for (const [i, key] of keys.entries()) refs.set(key, await store.put(key, pseudoRandom(10 + i, i)));
      await neighbour.put('a', pseudoRandom(3, 99));
      await adminClient(plain).send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}folder/`, Body: new Uint8Array(0) }));
      const listed = await collect(store.list(''));
      assert.deepEqual(listed.map((r) => r.key), [...keys].sort(byBytes));
      for (const ref of listed) assert.deepEqual(ref, refs.get(ref.key));
      assert.deepEqual((await collect(store.list('a'))).map((r) => r.key), ['a', 'a-', 'a.c', 'a/b', 'a0']);
      assert.deepEqual((await collect(neighbour.list(''))).map((r) => r.key), ['a']);
    } finally {
      await Promise.all([store.close(), neighbour.close()]);
    }
  });

  void it('reports an object it did not write, or one cut short behind its back, as STORAGE_CORRUPT', async () => {
    const bucket = await freshBucket(plain);
    const store = storeOn(plain, bucket);
    try {
      await adminClient(plain).send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}foreign`, Body: new Uint8Array([1, 2, 3]) }));
      await rejectsWith(store.head('foreign'), 'STORAGE_CORRUPT');
      await rejectsWith(collect(store.list('')), 'STORAGE_CORRUPT');
      await store.put('cut', pseudoRandom(100, 1));
      await corruptObject(plain, bucket, `${PREFIX}cut`, 'truncate');
      await rejectsWith(store.head('cut'), 'STORAGE_CORRUPT');
    } finally {
      await store.close();
    }
  });

  for (const [label, server, conditionalWrites] of [['s3rver', () => plain, false], ['If-None-Match honoured', () => conditional, true]] as const) {
    void it(`writes over the remains of a write cut off midway (an object without its metadata), which no read ever accepted (${label})`, async () => {
      const bucket = await freshBucket(server());
      const store = storeOn(server(), bucket, { conditionalWrites });
      try {
        // What a non-atomic server keeps of a put whose writer was killed mid-upload: bytes, no metadata.
        await adminClient(server()).send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}torn`, Body: new Uint8Array([9, 9]) }));
        await rejectsWith(store.head('torn'), 'STORAGE_CORRUPT');
        const body = pseudoRandom(1000, 7);
        const ref = await store.put('torn', body);
        assert.equal(ref.size, 1000);
        assertSameBytes(await store.get(ref), body);
        assert.deepEqual(await store.head('torn'), ref);
      } finally {
        await store.close();
      }
    });
  }

  void it('refuses a key that its prefix pushes past 1024 bytes, refs of another store, and calls after close', async () => {
    const bucket = await freshBucket(plain);
    const store = storeOn(plain, bucket);
    // Short segments: s3rver stores each as a file name, limited to 255 bytes.
    const keyOf = (bytes: number): string => `${'k'.repeat(99)}/`.repeat(11).slice(0, bytes - 1) + 'z';
    await rejectsWith(store.put(keyOf(1024 - PREFIX.length + 1), new Uint8Array(1)), 'BLOB_KEY_INVALID');
    const ref = await store.put(keyOf(1024 - PREFIX.length), new Uint8Array([1]));
    await rejectsWith(store.get({ ...ref, store: 'fs' }), 'BLOB_NOT_FOUND');
    await store.close();
    await rejectsWith(store.head('x'), 'NOT_AVAILABLE');
    await rejectsWith(collect(store.list('')), 'NOT_AVAILABLE');
  });

  void it('reports a stopped server as NOT_AVAILABLE naming its host, and never shows credentials', async () => {
    const doomed = await startS3rver();
    const bucket = await freshBucket(doomed);
    const credentials = { accessKeyId: 'AKIAMILLRACETESTKEY7', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY' };
    const store = new S3BlobStore({ bucket, endpoint: doomed.endpoint, credentials, conditionalWrites: false });
    const good = storeOn(doomed, bucket);
    try {
      // s3rver does not know this key id: refused (403), and the error must not echo it.
      const refused = await rejectsWith(store.head('k'), 'NOT_AVAILABLE');
      assertNoSecrets(refused, credentials);
      const ref = await good.put('k', new Uint8Array([1, 2, 3]));
      await doomed.stop();
      const attempts = [
        () => good.head('k'), () => good.get(ref), () => good.getRange(ref, 0, 1), () => good.put('j', new Uint8Array(1)),
        () => collect(good.list('')), () => good.delete('k'), () => store.get(ref),
      ];
      // At once: each waits out the SDK's retries before giving up.
      await Promise.all(attempts.map(async (attempt) => {
        const error = await rejectsWith(attempt(), 'NOT_AVAILABLE');
        assert.match(error.message, new RegExp(doomed.host.replace(/\./g, '\\.')));
        assert.equal(error.details.host, doomed.host);
        assertNoSecrets(error, credentials);
      }));
    } finally {
      await Promise.all([store.close(), good.close(), doomed.stop()]);
    }
  });
});

void describe('S3BlobStore writers in several processes (If-None-Match honoured)', () => {
  for (const [label, size] of [['one PutObject', 20_000], ['multipart', 6 * MiB]] as const) {
    void it(`lets exactly one of several stores writing different content win (${label})`, async () => {
      const bucket = await freshBucket(conditional);
      // One store per "process": separate clients, no shared per-key turns.
      const stores = [1, 2, 3, 4].map(() => storeOn(conditional, bucket, { conditionalWrites: true, partSizeBytes: 5 * MiB }));
      try {
        const contents = stores.map((_, i) => pseudoRandom(size, 100 + i));
        const results = await Promise.allSettled(stores.map((store, i) => store.put('race', contents[i]!)));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(won.length, 1, `winners: ${won.join()}`);
        for (const r of results) if (r.status === 'rejected') assert.ok(hasCode(r.reason, 'BLOB_CONFLICT'), String(r.reason));
        assertSameBytes(await stores[0]!.get((results[won[0]!] as PromiseFulfilledResult<BlobRef>).value), contents[won[0]!]!);
        const same = await Promise.all(stores.map((store) => store.put('same', contents[0]!)));
        for (const ref of same) assert.deepEqual(ref, same[0]);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });
  }
});

function storeOn(server: S3rverHandle, bucket: string, extra: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  return new S3BlobStore({ bucket, prefix: PREFIX, endpoint: server.endpoint, credentials: S3RVER_CREDENTIALS, conditionalWrites: false, ...extra });
}

async function freshBucket(server: S3rverHandle): Promise<string> {
  const bucket = `t-${process.pid}-${++buckets}`;
  await adminClient(server).send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const admins = new Map<S3rverHandle, S3Client>();
function adminClient(server: S3rverHandle): S3Client {
  let client = admins.get(server);
  if (client === undefined) {
    client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    clients.push(client);
    admins.set(server, client);
  }
  return client;
}

/** A client with the SDK's defaults that records each command's name, and can fail one on purpose. */
function recordingClient(server: S3rverHandle, inject?: (command: string, input: unknown) => void): { client: S3Client; commands: string[] } {
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  clients.push(client);
  const commands: string[] = [];
  client.middlewareStack.add((next, context) => async (args) => {
    commands.push(context.commandName ?? '?');
    inject?.(context.commandName ?? '?', args.input);
    return next(args);
  }, { step: 'initialize', name: 'recordCommands' });
  return { client, commands };
}

/** Rewrites an object behind the store's back: other bytes, the original metadata. */
async function corruptObject(server: S3rverHandle, bucket: string, objectKey: string, mode: 'flip' | 'truncate'): Promise<void> {
  const admin = adminClient(server);
  const original = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }));
  const bytes = Buffer.from(await original.Body!.transformToByteArray());
  const damaged = mode === 'truncate' ? bytes.subarray(0, bytes.length - 1) : Buffer.from(bytes);
  if (mode === 'flip') damaged[damaged.length - 1]! ^= 0x01;
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: damaged, Metadata: original.Metadata }));
}

function assertNoSecrets(error: { message: string }, credentials: { accessKeyId: string; secretAccessKey: string }): void {
  for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })]) {
    assert.ok(!text.includes(credentials.accessKeyId), `access key id in: ${text}`);
    assert.ok(!text.includes(credentials.secretAccessKey), `secret in: ${text}`);
  }
}

/** Deterministic pseudo-random bytes (xorshift), different per seed. */
function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function chunks(content: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < content.length; i += size) out.push(content.slice(i, i + size));
  return out;
}

function sha256(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<{ message: string; details: Record<string, unknown> }> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return hasCode(error, code);
  }, `expected ${code}`);
  return caught as { message: string; details: Record<string, unknown> };
}
