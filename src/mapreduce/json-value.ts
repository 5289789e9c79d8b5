/**
 * @module mapreduce/json-value
 * Values a MapReduce job emits, combines, reduces and returns cross threads
 * and machines as JSON. `JSON.stringify` alone would carry some values
 * wrongly without a word (`NaN` → `null`, a `Map` → `{}`, a `Date` → a
 * string, `undefined` in an array → `null`) and throw an unhelpful
 * `TypeError` for others (a BigInt, a cycle). This module refuses all of
 * them with the non-retryable `CODEC_INVALID_JSON`, naming where the value
 * came from and which part of it is wrong, so a bad handler fails its job
 * at once with a message that says what to fix.
 */
import { MillraceError } from '../core/errors.js';

/** Deepest nesting accepted, as the engine's JSON codec. */
const MAX_DEPTH = 64;

/**
 * `JSON.stringify(value)`, or `CODEC_INVALID_JSON` naming `where()` and the
 * offending part when the value is not plain JSON.
 *
 * @example
 * ```ts
 * encodeValue({ n: 1 }, () => 'reduce of key "a"')  // '{"n":1}'
 * encodeValue(new Map(), () => 'reduce of key "a"') // throws: … returned a Map, which JSON cannot carry …
 * ```
 */
export function encodeValue(value: unknown, where: () => string): string {
  // The common cases first, without a walk: counts, sums, labels.
  if (typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' || typeof value === 'boolean' || value === null) {
    return JSON.stringify(value);
  }
  const problem = jsonProblem(value);
  if (problem !== undefined) throw invalidValue(where(), problem);
  return JSON.stringify(value);
}

/** Throws like {@link encodeValue} without encoding. */
export function assertJsonValue(value: unknown, where: () => string): void {
  const problem = jsonProblem(value);
  if (problem !== undefined) throw invalidValue(where(), problem);
}

/** What is wrong with `value` as JSON, or `undefined` when nothing is. */
export function jsonProblem(value: unknown): string | undefined {
  return walk(value, '', 0, new Set());
}

function walk(value: unknown, path: string, depth: number, ancestors: Set<object>): string | undefined {
  const at = path === '' ? '' : ` at ${path}`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)}${at}`;
    case 'undefined':
      return `undefined${at}`;
    case 'bigint':
      return `a BigInt${at} (use a number or a string)`;
    case 'function':
    case 'symbol':
      return `a ${typeof value}${at}`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (depth >= MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH} levels${at}`;
  if (ancestors.has(object)) return `a circular reference${at}`;
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        if (!(i in object)) return `a hole in an array at ${path}[${i}]`;
        const problem = walk(object[i], `${path}[${i}]`, depth + 1, ancestors);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(object) as object | null;
    if (prototype !== Object.prototype && prototype !== null) {
      const name = (object.constructor as { name?: string } | undefined)?.name ?? 'object';
      return `a ${name}${at} (only plain objects and arrays travel as JSON)`;
    }
    for (const [key, item] of Object.entries(object)) {
      if (key === '__proto__' || key === 'constructor') return `the key "${key}"${at}, which JSON input refuses`;
      const problem = walk(item, `${path}.${key}`, depth + 1, ancestors);
      if (problem !== undefined) return problem;
    }
    return undefined;
  } finally {
    ancestors.delete(object);
  }
}

function invalidValue(where: string, problem: string): MillraceError {
  return new MillraceError(
    'CODEC_INVALID_JSON',
    `${where} is not plain JSON: it holds ${problem}. Values must be null, booleans, finite numbers, strings, arrays or plain objects.`,
  );
}
