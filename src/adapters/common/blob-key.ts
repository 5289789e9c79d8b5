/**
 * @module adapters/common/blob-key
 * Blob key validation shared by every `BlobStore` adapter, so the file system
 * and S3 refuse exactly the same keys with the same code. A key that is fine
 * for S3 but would walk out of a directory on disk (or out of a prefix behind
 * a proxy that decodes URLs) is refused everywhere: a program that works
 * embedded must not start failing, or start escaping, when clustered.
 *
 * What a key may be: 1–1024 UTF-8 bytes of `/`-separated segments, each
 * non-empty, neither `.` nor `..`, with no backslash, no control character
 * (NUL included) and no percent-escape of a character that matters for paths.
 */
import { MillraceError } from '../../core/errors.js';

/** Longest accepted key, in UTF-8 bytes (S3's own limit). */
export const MAX_BLOB_KEY_BYTES = 1024;

/**
 * Percent-escapes refused anywhere in a key, in either case: `.` (`%2e`),
 * `/` (`%2f`), `\` (`%5c`), NUL (`%00`), `%` itself (`%25`, so a double
 * encoding such as `%252e` cannot turn into `%2e` after one decode), and
 * `%c0`/`%c1`, the lead bytes of overlong UTF-8 encodings of `.` and `/`.
 * Escapes of other characters (`%41`) are ordinary text.
 */
const ENCODED_TRAVERSAL = /%(?:2e|2f|5c|00|25|c0|c1)/i;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Throws `BLOB_KEY_INVALID` unless `key` is a valid blob key.
 *
 * @example
 * ```ts
 * assertValidBlobKey('runs/2024/scan-7.bin') // ok
 * assertValidBlobKey('runs/../etc/passwd')   // throws BLOB_KEY_INVALID
 * ```
 */
export function assertValidBlobKey(key: unknown): asserts key is string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw invalid(key, problem);
}

/**
 * Throws `BLOB_KEY_INVALID` unless `prefix` is a valid `list` prefix: the
 * empty string, or the start of a valid key, optionally ending with `/`.
 * A prefix may end mid-segment (`'runs/20'`).
 */
export function assertValidBlobPrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return;
  const body = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  // A trailing `.` or `..` could still grow into a valid segment ('..a'),
  // but a prefix that names a traversal segment has no legitimate use.
  const problem = keyProblem(body);
  if (problem !== undefined) throw invalid(prefix, problem);
}

/** True when `key` is a valid blob key (the non-throwing form of {@link assertValidBlobKey}). */
export function isValidBlobKey(key: unknown): key is string {
  return keyProblem(key) === undefined;
}

/** Splits a valid key into its segments. */
export function blobKeySegments(key: string): string[] {
  return key.split('/');
}

/**
 * Orders keys the way `list` must: by their UTF-8 bytes, which is S3's order
 * too. (JavaScript's `<` compares UTF-16 code units, which disagrees for
 * characters beyond U+FFFF.)
 */
export function compareBlobKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'a key must be a string';
  if (key.length === 0) return 'a key must not be empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_BLOB_KEY_BYTES) return `a key must be at most ${MAX_BLOB_KEY_BYTES} UTF-8 bytes`;
  if (key.startsWith('/')) return 'a key must not start with "/" (absolute path)';
  if (key.includes('\\')) return 'a key must not contain a backslash';
  if (CONTROL_CHARACTERS.test(key)) return 'a key must not contain NUL or other control characters';
  if (ENCODED_TRAVERSAL.test(key)) return 'a key must not contain a percent-encoded ".", "/", "\\", "%", NUL or overlong UTF-8 byte';
  for (const segment of key.split('/')) {
    if (segment === '') return 'a key must not contain empty segments ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return `a key must not contain a "${segment}" segment`;
  }
  return undefined;
}

function invalid(key: unknown, problem: string): MillraceError {
  const shown = typeof key === 'string' ? JSON.stringify(key) : typeof key;
  return new MillraceError('BLOB_KEY_INVALID', `invalid blob key ${shown}: ${problem}`, {
    key: typeof key === 'string' ? key : undefined,
  });
}
