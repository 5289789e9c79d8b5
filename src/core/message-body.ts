/**
 * @module core/message-body
 * A message payload as queues store and send it: JSON text, or, when the
 * payload carries bytes (`Uint8Array` values, Buffers included), a binary
 * frame of the JSON with each byte array replaced by a placeholder, then
 * the byte arrays themselves.
 *
 * Why: query workers answer with float grids and PNGs of hundreds of
 * kilobytes. As base64 inside JSON, every hop paid an encode, a JSON
 * stringify, a JSON parse and a decode over the whole of it, most of them
 * on the gatherer's thread (about 40% of its time under load,
 * docs/queries.md). In a frame the bytes are copied, never re-encoded.
 *
 * ```
 *  frame:  "\0MRB" | json bytes: u32 | arrays: u32 | length: u32 × arrays | json | pad to 8 | (array | pad to 8) × arrays
 *  json:   the payload, each byte array k written as {"$bytes": k}
 * ```
 *
 * All integers are little-endian. Every array starts 8-byte aligned in
 * the frame, and a decoded frame is a fresh copy, so a receiver may view
 * the bytes as `Float32Array`/`Float64Array` directly and may change them
 * without touching a stored message. A frame starts with a NUL byte,
 * which no JSON text does, so a reader tells the two apart by content.
 */
import { MillraceError } from './errors.js';
import { decodeJson, DEFAULT_JSON_LIMITS, encodeJson, type JsonLimits } from './json-codec.js';

/** A payload encoded: JSON text, or a frame (a Buffer, so SQLite and AMQP take it as it is). */
export type MessageBody = string | Buffer;

const MAGIC = Buffer.from('\0MRB', 'latin1');
const PLACEHOLDER = '$bytes';
const HEADER_BYTES = 12;

/**
 * Encodes a payload; JSON text unless it carries bytes.
 * @throws `CODEC_*` as `encodeJson`, and `CODEC_FORBIDDEN_KEY` for a `$bytes` key in a payload that also carries bytes
 */
export function encodeMessageBody(value: unknown, limits: Partial<JsonLimits> = {}): MessageBody {
  const arrays: Uint8Array[] = [];
  const json = encodeJson(containsBytes(value) ? withPlaceholders(value, arrays) : value, limits);
  if (arrays.length === 0) return json;
  return frame(json, arrays, limits.maxBytes ?? DEFAULT_JSON_LIMITS.maxBytes);
}

/**
 * Decodes what {@link encodeMessageBody} made, from text or from bytes
 * (JSON as UTF-8, or a frame). Byte arrays come back as `Uint8Array`s,
 * views into a copy of the frame, or into the frame itself when `owned`.
 * @throws `CODEC_*`, naming what is malformed
 */
export function decodeMessageBody(body: string | Uint8Array, limits: Partial<JsonLimits> = {}, options: { owned?: boolean } = {}): unknown {
  if (typeof body === 'string' || !isFrame(body)) return decodeJson(body, limits);
  const maxBytes = limits.maxBytes ?? DEFAULT_JSON_LIMITS.maxBytes;
  if (body.byteLength > maxBytes) throw new MillraceError('CODEC_TOO_LARGE', `message frame of ${body.byteLength} bytes exceeds the limit of ${maxBytes} bytes`, { size: body.byteLength, maxBytes });
  // A copy, fresh and at offset 0: aligned views, and nothing shared with a stored message. A body the
  // caller owns outright (`owned`: a frame transferred from a thread) is used as it is when aligned.
  const copy = options.owned === true && body.byteOffset === 0 ? body : new Uint8Array(body);
  const view = new DataView(copy.buffer);
  const jsonBytes = view.getUint32(4, true);
  const count = view.getUint32(8, true);
  let at = HEADER_BYTES + 4 * count;
  if (at + jsonBytes > copy.byteLength) malformed(`its header declares ${count} arrays and ${jsonBytes} bytes of JSON, more than its ${copy.byteLength} bytes`);
  const value = decodeJson(copy.subarray(at, at + jsonBytes), limits);
  at = align8(at + jsonBytes);
  const arrays: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const length = view.getUint32(HEADER_BYTES + 4 * k, true);
    if (at + length > copy.byteLength) malformed(`array ${k} of ${length} bytes runs past its end`);
    arrays.push(copy.subarray(at, at + length));
    at = align8(at + length);
  }
  if (at !== align8(copy.byteLength)) malformed(`it holds ${copy.byteLength - at} bytes after its last array`);
  return restoreArrays(value, arrays);
}

/**
 * A stored body as an operator inspecting dead letters sees it: decoded,
 * or, when it no longer decodes, as stored (JSON text as text, a frame
 * as base64), so a damaged message is still shown rather than hidden.
 */
export function decodeForInspection(body: string | Uint8Array): unknown {
  try {
    return decodeMessageBody(body);
  } catch {
    if (typeof body === 'string') return body;
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString(isFrame(body) ? 'base64' : 'utf8');
  }
}

/** True when `bytes` holds a frame rather than JSON text. */
export function isFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength >= HEADER_BYTES && bytes[0] === 0 && bytes[1] === MAGIC[1] && bytes[2] === MAGIC[2] && bytes[3] === MAGIC[3];
}

/** Bytes of a body as stored or sent. */
export function bodyBytes(body: MessageBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/** Whether a payload carries bytes: a cheap first look (no copy), as most carry none and take the plain JSON path. */
export function containsBytes(root: unknown): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  const seen = new Set<object>(); // an object reached twice (shared, or a cycle) is looked into once
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof Uint8Array) return true;
    if (ArrayBuffer.isView(value)) continue; // other typed arrays go the JSON way, as before
    // Deeper than JSON may nest (a cycle, say): encodeJson refuses it, with its own message.
    if (depth >= DEFAULT_JSON_LIMITS.maxDepth) continue;
    for (const item of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof item === 'object' && item !== null) stack.push({ value: item, depth: depth + 1 });
    }
  }
  return false;
}

/** A copy of the payload with byte arrays swapped for placeholders, in the order they are met. */
function withPlaceholders(value: unknown, arrays: Uint8Array[], depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) {
    arrays.push(value);
    return { [PLACEHOLDER]: arrays.length - 1 };
  }
  if (depth >= DEFAULT_JSON_LIMITS.maxDepth) return value; // encodeJson refuses it, with its own message
  if (Array.isArray(value)) return value.map((item) => withPlaceholders(item, arrays, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === PLACEHOLDER) throw new MillraceError('CODEC_FORBIDDEN_KEY', `JSON key "${PLACEHOLDER}" is not allowed in a payload that carries bytes: it marks where they go`, { key });
    copy[key] = withPlaceholders(item, arrays, depth + 1);
  }
  return copy;
}

function frame(json: string, arrays: readonly Uint8Array[], maxBytes: number): Buffer {
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  let size = align8(HEADER_BYTES + 4 * arrays.length + jsonBytes);
  for (const array of arrays) size += align8(array.byteLength);
  if (size > maxBytes) throw new MillraceError('CODEC_TOO_LARGE', `message frame of ${size} bytes exceeds the limit of ${maxBytes} bytes`, { size, maxBytes });
  const out = Buffer.alloc(size);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(jsonBytes, 4);
  out.writeUInt32LE(arrays.length, 8);
  arrays.forEach((array, k) => out.writeUInt32LE(array.byteLength, HEADER_BYTES + 4 * k));
  let at = HEADER_BYTES + 4 * arrays.length;
  out.write(json, at, 'utf8');
  at = align8(at + jsonBytes);
  for (const array of arrays) {
    out.set(array, at);
    at = align8(at + array.byteLength);
  }
  return out;
}

/** Puts each array where its placeholder is; every array is used exactly once. */
function restoreArrays(root: unknown, arrays: readonly Uint8Array[]): unknown {
  const used = new Uint8Array(arrays.length);
  const take = (placeholder: Record<string, unknown>): Uint8Array => {
    const index = placeholder[PLACEHOLDER];
    if (Object.keys(placeholder).length !== 1 || !Number.isInteger(index) || (index as number) < 0 || (index as number) >= arrays.length || used[index as number] === 1) {
      malformed(`a ${PLACEHOLDER} placeholder names no array, or one already placed`);
    }
    used[index as number] = 1;
    return arrays[index as number]!;
  };
  const isPlaceholder = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && PLACEHOLDER in value;
  if (isPlaceholder(root)) return finish(take(root));
  const stack: Array<Record<string, unknown> | unknown[]> = [];
  if (typeof root === 'object' && root !== null) stack.push(root as Record<string, unknown>);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const keys = Array.isArray(node) ? node.keys() : Object.keys(node);
    for (const key of keys) {
      const item = (node as Record<string | number, unknown>)[key];
      if (isPlaceholder(item)) (node as Record<string | number, unknown>)[key] = take(item);
      else if (typeof item === 'object' && item !== null) stack.push(item as Record<string, unknown>);
    }
  }
  return finish(root);

  function finish<T>(value: T): T {
    if (used.some((flag) => flag === 0)) malformed('an array has no placeholder');
    return value;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function malformed(why: string): never {
  throw new MillraceError('CODEC_INVALID_JSON', `malformed message frame: ${why}`);
}
