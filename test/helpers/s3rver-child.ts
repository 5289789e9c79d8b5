/**
 * Runs s3rver (a local S3-compatible server) for the S3 adapter tests, in a
 * child process started by `s3rver.ts`, and reports its port over IPC.
 *
 * A child process, not the test process, because s3rver 3.7 needs two
 * repairs the test process should not carry:
 *
 * - Its continuation tokens are DES-encrypted, which OpenSSL 3 (Node ≥ 17)
 *   refuses: every truncated listing fails with a 500. The child runs with
 *   `--openssl-legacy-provider`.
 * - It lists keys in file-system walk order ('a/b' before 'a-' before 'a'),
 *   not S3's UTF-8 byte order, and pages by JavaScript string comparison.
 *   `listObjects` is wrapped to sort by bytes and page from the sorted list.
 *
 * With `S3RVER_CONDITIONAL=1` it also honours `If-None-Match: *` on
 * `PutObject` and `CompleteMultipartUpload` (s3rver ignores it), by checking
 * for the key under a per-key lock held until the write has answered — so
 * the adapter's conditional-write path meets a server that behaves like S3.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

interface S3rverObject { key: string }
interface ListResult { objects: S3rverObject[]; commonPrefixes: string[]; isTruncated: boolean }
interface ListOptions { startAfter?: string; maxKeys?: number; prefix?: string; delimiter?: string }
interface FilesystemStore {
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  existsObject(bucket: string, key: string): Promise<boolean>;
}
interface S3rverInstance {
  store: FilesystemStore;
  httpServer: Server;
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR });

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const listUnsorted = server.store.listObjects.bind(server.store);
server.store.listObjects = async (bucket, options) => {
  const { startAfter = '', maxKeys = Number.POSITIVE_INFINITY, ...rest } = options;
  const all = await listUnsorted(bucket, { ...rest, startAfter: '', maxKeys: Number.POSITIVE_INFINITY });
  const after = all.objects.filter((o) => startAfter === '' || byBytes(o.key, startAfter) > 0).sort((a, b) => byBytes(a.key, b.key));
  return { objects: after.slice(0, maxKeys), commonPrefixes: all.commonPrefixes, isTruncated: after.length > maxKeys };
};

const { port } = await server.run();

if (process.env.S3RVER_CONDITIONAL === '1') {
  const [handle] = server.httpServer.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.httpServer.removeAllListeners('request');
  const tails = new Map<string, Promise<void>>();
  server.httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = conditionalTarget(req);
    if (target === undefined) return handle!(req, res);
    const id = `${target.bucket}/${target.key}`;
    const previous = tails.get(id) ?? Promise.resolve();
    const done = new Promise<void>((resolve) => res.once('close', resolve));
    const tail = previous.then(() => done);
    tails.set(id, tail);
    void tail.then(() => tails.get(id) === tail && tails.delete(id));
    void previous.then(async () => {
      if (!(await server.store.existsObject(target.bucket, target.key))) return handle!(req, res);
      req.resume();
      res.writeHead(412, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>'
        + '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>');
    });
  });
}

process.send?.({ port });
const stop = (): void => {
  void server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);

/** Bucket and key of a write that asks for `If-None-Match: *` (a PUT of a whole object, or a multipart completion). */
function conditionalTarget(req: IncomingMessage): { bucket: string; key: string } | undefined {
  if (req.headers['if-none-match'] !== '*') return undefined;
  const url = new URL(req.url ?? '/', 'http://s3rver');
  const isPut = req.method === 'PUT' && !url.searchParams.has('partNumber') && req.headers['x-amz-copy-source'] === undefined;
  const isComplete = req.method === 'POST' && url.searchParams.has('uploadId');
  if (!isPut && !isComplete) return undefined;
  const [, bucket, ...rest] = url.pathname.split('/');
  if (bucket === undefined || rest.length === 0) return undefined;
  return { bucket, key: rest.map((segment) => decodeURIComponent(segment)).join('/') };
}
