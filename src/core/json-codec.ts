/**
 * @module core/json-codec
 * JSON at trust boundaries: messages from a queue, HTTP bodies, files, events.
 * `JSON.parse` alone accepts `{"__proto__": ...}` (a prototype-pollution
 * vector once merged into another object) and unbounded sizes and nesting
 * (a memory and stack hazard). This codec refuses all three with a clear error.
 */
import { MillraceError } from './errors.js';

/** Limits applied when encoding or decoding. */
export interface JsonLimits {
  /** Largest accepted document in bytes (UTF-8). @defaultValue 16 MiB */
  maxBytes: number;
  /** Deepest accepted nesting of arrays and objects. @defaultValue 64 */
  maxDepth: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 16 * 1024 * 1024, maxDepth: 64 };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Parses untrusted JSON text or bytes.
 *
 * @example
 * ```ts
 * const body = decodeJson(req.body, { maxBytes: 1_000_000, maxDepth: 32 })
 * ```
 * @throws MillraceError `CODEC_TOO_LARGE`, `CODEC_INVALID_JSON`, `CODEC_FORBIDDEN_KEY`, `CODEC_TOO_DEEP`
 */
export function decodeJson(input: string | Uint8Array, limits: Partial<JsonLimits> = {}): unknown {
  const maxBytes = limits.maxBytes ?? DEFAULT_JSON_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? DEFAULT_JSON_LIMITS.maxDepth;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > maxBytes) {
    throw new MillraceError('CODEC_TOO_LARGE', `JSON document of ${size} bytes exceeds the limit of ${maxBytes} bytes`, { size, maxBytes });
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input : utf8Decoder.decode(input);
  } catch (cause) {
    throw new MillraceError('CODEC_INVALID_JSON', 'JSON document is not valid UTF-8', {}, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new MillraceError('CODEC_INVALID_JSON', `invalid JSON: ${(cause as Error).message}`, {}, { cause });
  }
  checkShape(value, maxDepth, maxBytes);
  return value;
}

/**
 * Serialises a value, refusing what `decodeJson` would refuse, so that a
 * sender learns of a bad message before it is published rather than a
 * receiver dead-lettering it later.
 */
export function encodeJson(value: unknown, limits: Partial<JsonLimits> = {}): string {
  const maxBytes = limits.maxBytes ?? DEFAULT_JSON_LIMITS.maxBytes;
  checkShape(value, limits.maxDepth ?? DEFAULT_JSON_LIMITS.maxDepth, maxBytes);
  const text = JSON.stringify(value);
  if (text === undefined) throw new MillraceError('CODEC_INVALID_JSON', 'value has no JSON form (undefined or a function)');
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) {
    throw new MillraceError('CODEC_TOO_LARGE', `JSON document of ${size} bytes exceeds the limit of ${maxBytes} bytes`, { size, maxBytes });
  }
  return text;
}

/** `encodeJson` to UTF-8 bytes. */
export function encodeJsonBytes(value: unknown, limits: Partial<JsonLimits> = {}): Uint8Array {
  return utf8Encoder.encode(encodeJson(value, limits));
}

/**
 * Iterative walk: a recursive one would itself overflow on hostile nesting.
 * Only objects are pushed, on two parallel stacks, so the walk allocates
 * nothing for a field or item that is not itself an object: it runs on
 * every event and message encoded and decoded.
 *
 * Every object or array costs at least two bytes of JSON (`{}`), so a
 * value that makes the walk visit more than `maxBytes / 2` of them cannot
 * fit the limit: the walk stops there. Without that bound, a value built
 * in memory with shared references (`a = {l: b, r: b}`, b likewise, 60
 * levels down) would take 2^60 steps here before `JSON.stringify` ever
 * got to refuse it, hanging the thread that encodes it.
 */
function checkShape(root: unknown, maxDepth: number, maxBytes: number): void {
  if (typeof root !== 'object' || root === null) return;
  const values: object[] = [root];
  const depths: number[] = [0];
  const maxObjects = Math.floor(maxBytes / 2);
  let visited = 0;
  while (values.length > 0) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (++visited > maxObjects) {
      throw new MillraceError('CODEC_TOO_LARGE', `JSON value holds more than ${maxObjects} objects and arrays, so its JSON form exceeds the limit of ${maxBytes} bytes`, { maxBytes });
    }
    if (depth >= maxDepth) {
      throw new MillraceError('CODEC_TOO_DEEP', `JSON nesting exceeds the limit of ${maxDepth} levels`, { maxDepth });
    }
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) {
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new MillraceError('CODEC_FORBIDDEN_KEY', `JSON key "${key}" is not allowed`, { key });
      }
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
}
