/**
 * @module bench/split-read
 * How fast a MapReduce split reader streams a 256 MB blob with a few read
 * plans (bytes a request × requests in flight), from the file store and from
 * an S3 server, each as it is and with 20 ms added to every request (a
 * remote store's round trip, simulated). What backs the stores' `rangeReads`
 * hints: 1 MiB × 2 for files, 8 MiB × 4 for S3 (docs/mapreduce.md).
 *
 * The S3 server is s3rver (JavaScript, in a child process), which shares the
 * machine's cores with the reader, so its figures are a floor for a real S3.
 *
 * ```
 * node --import tsx bench/split-read.ts [--runs 3]
 * ```
 */
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { FileBlobStore } from '../src/adapters/embedded/file-blob-store.js';
import { S3BlobStore } from '../src/adapters/s3/s3-blob-store.js';
import { readSplit } from '../src/mapreduce/split-reader.js';
import type { BlobRef, BlobStore } from '../src/ports/blob-store.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../test/helpers/s3rver.js';
import { createTempDir } from '../test/helpers/temp-dir.js';
import { stats } from './harness.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const LATENCY_MS = 20;
const PLANS: ReadonlyArray<readonly [chunkBytes: number, inFlight: number]> = [[MiB, 2], [4 * MiB, 2], [8 * MiB, 2], [8 * MiB, 4], [16 * MiB, 4]];

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(args.runs);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${args.runs}`);

/** The store, with `ms` added before each ranged read. */
function withLatency(store: BlobStore, ms: number): BlobStore {
  return new Proxy(store, {
    get: (target, key) => key === 'getRange'
      ? async (ref: BlobRef, offset: number, length: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return target.getRange(ref, offset, length);
      }
      : Reflect.get(target, key),
  });
}

/** MB/s of one pass of the split reader over the whole blob. */
async function pass(store: BlobStore, ref: BlobRef, chunkBytes: number, readAhead: number): Promise<number> {
  const started = performance.now();
  let bytes = 0;
  for await (const block of readSplit(store, ref, 0, ref.size, { chunkBytes, readAhead })) if (block.kind === 'records') bytes += block.bytes.length;
  if (bytes !== ref.size) throw new Error(`read ${bytes} of ${ref.size} bytes`);
  return ref.size / 1e6 / ((performance.now() - started) / 1000);
}

const content = Buffer.from(`${'x'.repeat(99)}\n`.repeat(SIZE / 100));
const dir = createTempDir('millrace-split-read-');
const files = new FileBlobStore({ root: dir.path });
const s3rver = await startS3rver();
const client = new S3Client({ endpoint: s3rver.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
try {
  await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const s3 = new S3BlobStore({ bucket: 'bench', client });
  const stores: Array<[name: string, store: BlobStore, ref: BlobRef]> = [];
  const fileRef = await files.put('input', content);
  const s3Ref = await s3.put('input', content);
  stores.push(['file', files, fileRef], [`file + ${LATENCY_MS} ms`, withLatency(files, LATENCY_MS), fileRef], ['s3rver', s3, s3Ref], [`s3rver + ${LATENCY_MS} ms`, withLatency(s3, LATENCY_MS), s3Ref]);
  console.log(`split reader over ${SIZE / MiB} MiB, MB/s, median of ${runs}`);
  console.log(`| store | ${PLANS.map(([bytes, inFlight]) => `${bytes / MiB} MiB × ${inFlight}`).join(' | ')} |`);
  console.log(`| --- | ${PLANS.map(() => '---:').join(' | ')} |`);
  for (const [name, store, ref] of stores) {
    const cells: string[] = [];
    for (const [chunkBytes, inFlight] of PLANS) {
      const rates: number[] = [];
      for (let run = 0; run < runs; run++) rates.push(await pass(store, ref, chunkBytes, inFlight));
      cells.push(stats(rates).median.toFixed(0));
    }
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  await s3.close();
} finally {
  client.destroy();
  await s3rver.stop();
  await files.close();
  dir.remove();
}
