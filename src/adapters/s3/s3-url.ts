/**
 * @module adapters/s3/s3-url
 * The URL form of an S3 blob store's configuration, for environment
 * variables and command lines:
 *
 * ```
 * s3://<bucket>[/<prefix>][?endpoint=<url>&region=<name>&forcePathStyle=true|false
 *                          &conditionalWrites=true|false&partSizeMiB=<n>&rangeReadMiB=<n>
 *                          &rangeReadsInFlight=<n>&name=<store name>]
 * ```
 *
 * Credentials are deliberately not part of it: a URL ends up in logs, shell
 * history and process listings. They come from the AWS SDK's chain
 * (`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, a profile, an instance or
 * pod role). A URL with a user name or password is refused.
 */
import { MillraceError } from '../../core/errors.js';
import { s3BucketNameProblem, s3EndpointProblem, s3PrefixProblem } from './s3-blob-store-options.js';
import type { S3BlobStoreOptions } from './s3-blob-store-options.js';

/** What a URL can say: everything but a client and credentials. */
export type S3UrlOptions = Omit<S3BlobStoreOptions, 'client' | 'credentials'>;

const PARAMETERS = ['endpoint', 'region', 'forcePathStyle', 'conditionalWrites', 'partSizeMiB', 'rangeReadMiB', 'rangeReadsInFlight', 'name'] as const;
type Parameter = (typeof PARAMETERS)[number];

/**
 * Parses `s3://bucket/prefix?…` into store options. Throws `CONFIG_INVALID`
 * naming the part that is wrong. The options are checked again, fully, when
 * the store is built.
 *
 * @example
 * ```ts
 * const options = parseS3Url('s3://data/millrace?endpoint=http://127.0.0.1:9000&forcePathStyle=true')
 * // { bucket: 'data', prefix: 'millrace', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }
 * const blobs = new S3BlobStore(options)
 * ```
 */
export function parseS3Url(text: string): S3UrlOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('url', `${JSON.stringify(shown(text))} is not a URL (expected s3://bucket/prefix?…)`);
  }
  if (url.protocol !== 's3:') throw invalid('scheme', `must be "s3:", not "${url.protocol}"`);
  if (url.username !== '' || url.password !== '') {
    throw invalid('credentials', 'do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or use a profile or role)');
  }
  if (url.port !== '') throw invalid('bucket', 'must not have a port; put the server in ?endpoint=');
  if (url.hash !== '') throw invalid('fragment', 'is not allowed');
  const bucket = url.hostname;
  const bucketProblem = s3BucketNameProblem(bucket);
  if (bucketProblem !== undefined) throw invalid('bucket', `"${bucket}" ${bucketProblem}`);

  const options: S3UrlOptions = { bucket };
  const prefix = decodePrefix(rawPath(text));
  const prefixProblem = s3PrefixProblem(prefix);
  if (prefixProblem !== undefined) throw invalid('prefix', `${JSON.stringify(prefix)} ${prefixProblem}`);
  if (prefix !== '') options.prefix = prefix;

  const seen = new Set<string>();
  for (const [name, value] of url.searchParams) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw invalid(`?${name}`, `is not a known parameter (known: ${PARAMETERS.join(', ')})`);
    }
    if (seen.has(name)) throw invalid(`?${name}`, 'is given twice');
    seen.add(name);
    applyParameter(options, name as Parameter, value);
  }
  return options;
}

function applyParameter(options: S3UrlOptions, name: Parameter, value: string): void {
  switch (name) {
    case 'endpoint': {
      const problem = s3EndpointProblem(value);
      if (problem !== undefined) throw invalid('?endpoint', problem);
      options.endpoint = value;
      return;
    }
    case 'region':
      if (!/^[a-z0-9-]+$/.test(value)) throw invalid('?region', `${JSON.stringify(value)} is not a region name`);
      options.region = value;
      return;
    case 'forcePathStyle':
      options.forcePathStyle = parseBoolean('?forcePathStyle', value);
      return;
    case 'conditionalWrites':
      options.conditionalWrites = parseBoolean('?conditionalWrites', value);
      return;
    case 'partSizeMiB':
      options.partSizeBytes = wholeNumber('?partSizeMiB', value, 5, 5120, " (S3's part limits)") * 1024 * 1024;
      return;
    case 'rangeReadMiB':
      options.rangeReadBytes = wholeNumber('?rangeReadMiB', value, 1, 256) * 1024 * 1024;
      return;
    case 'rangeReadsInFlight':
      options.rangeReadsInFlight = wholeNumber('?rangeReadsInFlight', value, 1, 64);
      return;
    case 'name':
      if (value === '') throw invalid('?name', 'must not be empty');
      options.name = value;
      return;
  }
}

/**
 * The path after the bucket as written. `URL` would resolve `a/../b` (and
 * `%2e%2e`) to `b`, silently turning a traversal into another prefix; the
 * raw text lets it be refused instead.
 */
function rawPath(text: string): string {
  const afterScheme = text.slice(text.indexOf('//') + 2);
  const end = afterScheme.search(/[?#]/);
  const authorityAndPath = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const slash = authorityAndPath.indexOf('/');
  return slash < 0 ? '' : authorityAndPath.slice(slash + 1);
}

/** The path after the bucket, percent-decoded; `''` for none. */
function decodePrefix(raw: string): string {
  if (raw === '') return '';
  let prefix: string;
  try {
    prefix = decodeURIComponent(raw);
  } catch {
    throw invalid('prefix', `${JSON.stringify(raw)} is not valid percent-encoding`);
  }
  return prefix;
}

function wholeNumber(name: string, value: string, min: number, max: number, why = ''): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw invalid(name, `must be a whole number from ${min} to ${max}${why}, got ${JSON.stringify(value)}`);
  return n;
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalid(name, `must be "true" or "false", got ${JSON.stringify(value)}`);
}

/** The input as it may be shown: without a user-info part, should it hold a password. */
function shown(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//[redacted]@');
}

function invalid(part: string, problem: string): MillraceError {
  return new MillraceError('CONFIG_INVALID', `S3 URL ${part} ${problem}`, { part });
}
