/**
 * @module adapters/s3/s3-blob-store-options
 * Options of `S3BlobStore`, checked once at construction so that a typo in
 * a bucket name or a part size fails at start-up with `CONFIG_INVALID`, not
 * on the first upload an hour later.
 */
import { tmpdir } from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { MillraceError } from '../../core/errors.js';
import { isValidBlobKey } from '../common/blob-key.js';

const MiB = 1024 * 1024;
/** S3's smallest part (every part but the last). */
export const MIN_PART_BYTES = 5 * MiB;
/** S3's largest part. */
export const MAX_PART_BYTES = 5 * 1024 * MiB;

/** Options for {@link S3BlobStore}. */
export interface S3BlobStoreOptions {
  /** Bucket holding the blobs; it must exist (the store never creates buckets). */
  bucket: string;
  /**
   * Key prefix inside the bucket, so several stores can share one bucket.
   * A `/` is appended when missing: `'millrace/blobs'` stores key `a/b` as
   * `millrace/blobs/a/b`. @defaultValue `''` (the bucket root)
   */
  prefix?: string;
  /**
   * A client to use instead of building one. The store never destroys a
   * client it was given; it cannot be combined with `endpoint`, `region`,
   * `forcePathStyle` or `credentials`. @defaultValue a client the store builds and destroys on `close`
   */
  client?: S3Client;
  /** Endpoint of an S3-compatible server (`http://127.0.0.1:9000`). @defaultValue AWS S3 for `region` */
  endpoint?: string;
  /** @defaultValue `'us-east-1'` */
  region?: string;
  /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint`. @defaultValue `true` when `endpoint` is set, else `false` */
  forcePathStyle?: boolean;
  /** Static credentials; prefer the SDK's chain (env vars, profile, role). @defaultValue the AWS SDK's default credential chain */
  credentials?: S3ClientConfig['credentials'];
  /**
   * Bodies up to this size go up in one `PutObject` from memory; larger ones
   * in parts of this size. Between 5 MiB and 5 GiB (S3's limits).
   * @defaultValue 8 MiB
   */
  partSizeBytes?: number;
  /** Parts uploaded at once; memory held by one upload is about this × `partSizeBytes`. @defaultValue 4 */
  partConcurrency?: number;
  /**
   * Whether the server honours `If-None-Match: *` on `PutObject` and
   * `CompleteMultipartUpload`. AWS S3 does (since 2024), as does recent MinIO.
   * Turn it off for servers that reject the header; on servers that ignore it
   * silently (s3rver), immutability across processes is not guaranteed
   * either way — see docs/cluster.md. @defaultValue `true`
   */
  conditionalWrites?: boolean;
  /**
   * Bytes per ranged `GetObject` when a reader streams a blob (a MapReduce
   * map reading its split). Each request pays a round trip, so reads are
   * large: against s3rver on 2 cores, 1 MiB reads two at a time gave
   * 152 MB/s and 8 MiB reads four at a time 426 MB/s (bench/split-read.ts;
   * docs/mapreduce.md).
   * Between 64 KiB and 256 MiB. @defaultValue 8 MiB
   */
  rangeReadBytes?: number;
  /** Ranged reads in flight ahead of such a reader; memory held by one reader is about this × `rangeReadBytes`. @defaultValue 4 */
  rangeReadsInFlight?: number;
  /** `HeadObject` requests in flight while `list` fetches refs. @defaultValue 16 */
  listConcurrency?: number;
  /** Keys asked for per `ListObjectsV2` page (1–1000). @defaultValue 1000 */
  listPageSize?: number;
  /** Where bodies larger than one part are staged while they are hashed. @defaultValue the OS temp directory */
  spoolDirectory?: string;
  /** Store name written into every ref. @defaultValue `'s3'` */
  name?: string;
}

/** Options after defaults and checks. */
export interface ResolvedS3Options {
  bucket: string;
  /** `''` or ends with `/`. */
  prefix: string;
  client: S3Client;
  ownsClient: boolean;
  /** `host[:port]` for error messages, when known without asking the client. */
  host: string | undefined;
  partSizeBytes: number;
  partConcurrency: number;
  rangeReadBytes: number;
  rangeReadsInFlight: number;
  conditionalWrites: boolean;
  listConcurrency: number;
  listPageSize: number;
  spoolDirectory: string;
  name: string;
  /** Static credential values, scrubbed from error messages. */
  secrets: string[];
}

/**
 * Checks options and builds the client. Throws `CONFIG_INVALID` naming the
 * offending option.
 */
export function resolveS3Options(options: S3BlobStoreOptions): ResolvedS3Options {
  const bucketProblem = s3BucketNameProblem(options.bucket);
  if (bucketProblem !== undefined) throw invalid('bucket', `${JSON.stringify(options.bucket)}: ${bucketProblem}`);
  const prefix = normalisePrefix(options.prefix ?? '');
  const partSizeBytes = integerOption('partSizeBytes', options.partSizeBytes, 8 * MiB, MIN_PART_BYTES, MAX_PART_BYTES);
  const partConcurrency = integerOption('partConcurrency', options.partConcurrency, 4, 1, 64);
  const rangeReadBytes = integerOption('rangeReadBytes', options.rangeReadBytes, 8 * MiB, 64 * 1024, 256 * MiB);
  const rangeReadsInFlight = integerOption('rangeReadsInFlight', options.rangeReadsInFlight, 4, 1, 64);
  const listConcurrency = integerOption('listConcurrency', options.listConcurrency, 16, 1, 256);
  const listPageSize = integerOption('listPageSize', options.listPageSize, 1000, 1, 1000);
  const connection = (['endpoint', 'region', 'forcePathStyle', 'credentials'] as const).filter((k) => options[k] !== undefined);
  if (options.client !== undefined && connection.length > 0) {
    throw invalid(connection[0]!, 'cannot be combined with a client: configure the client instead');
  }
  const endpoint = options.endpoint === undefined ? undefined : checkEndpoint(options.endpoint);
  const region = options.region ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) throw invalid('region', `${JSON.stringify(region)} is not a region name`);
  const client = options.client ?? new S3Client({
    region,
    endpoint: endpoint?.href,
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    credentials: options.credentials,
    // The store hashes every body with SHA-256 itself and SigV4 signs each
    // buffered payload; the SDK's extra CRC32 pass adds CPU, not safety, and
    // its per-part checksums are what trips S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Without these a black-holed endpoint hangs a call forever. An idle
    // limit, not a total one: a multi-gigabyte part may rightly take minutes.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
  });
  const host = endpoint !== undefined ? endpoint.host : options.client === undefined ? `s3.${region}.amazonaws.com` : undefined;
  return {
    bucket: options.bucket,
    prefix,
    client,
    ownsClient: options.client === undefined,
    host,
    partSizeBytes,
    partConcurrency,
    rangeReadBytes,
    rangeReadsInFlight,
    conditionalWrites: options.conditionalWrites ?? true,
    listConcurrency,
    listPageSize,
    spoolDirectory: options.spoolDirectory ?? tmpdir(),
    name: options.name ?? 's3',
    secrets: staticSecrets(options.credentials),
  };
}

/**
 * Why `name` is not a valid S3 bucket name (AWS's general-purpose rules),
 * or `undefined` when it is.
 */
export function s3BucketNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'a bucket name is required';
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'may hold only lower-case letters, digits, "." and "-", and must start and end with a letter or digit';
  if (name.includes('..')) return 'must not contain ".."';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  return undefined;
}

/** Why `prefix` is not a usable store prefix, or `undefined` when it is (`''` is). */
export function s3PrefixProblem(prefix: unknown): string | undefined {
  if (prefix === '') return undefined;
  const body = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (isValidBlobKey(body)) return undefined;
  return 'must be "/"-separated key segments (no "..", ".", "//", leading "/", backslash, control characters or encoded traversal)';
}

/** Why `endpoint` is not a usable endpoint URL, or `undefined` when it is. */
export function s3EndpointProblem(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'is not a URL (expected http://host:port or https://host)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be http or https, not ${url.protocol}`;
  if (url.username !== '' || url.password !== '') return 'must not carry credentials; use the AWS credential chain';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return `must be an origin only (scheme, host, port), without path or query: ${url.origin}`;
  }
  return undefined;
}

/** `''`, or a valid key prefix made to end with `/`. */
function normalisePrefix(prefix: unknown): string {
  const problem = s3PrefixProblem(prefix);
  if (problem !== undefined) throw invalid('prefix', `${JSON.stringify(prefix)} ${problem}`);
  if (prefix === '') return '';
  const text = prefix as string;
  return text.endsWith('/') ? text : `${text}/`;
}

function checkEndpoint(endpoint: string): URL {
  const problem = s3EndpointProblem(endpoint);
  if (problem !== undefined) throw invalid('endpoint', problem);
  return new URL(endpoint);
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(name, `must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function staticSecrets(credentials: S3ClientConfig['credentials']): string[] {
  if (credentials === undefined || typeof credentials === 'function') return [];
  return [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken].filter((v): v is string => typeof v === 'string');
}

function invalid(option: string, problem: string): MillraceError {
  return new MillraceError('CONFIG_INVALID', `S3 blob store option "${option}" ${problem}`, { option });
}
