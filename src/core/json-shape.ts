/**
 * @module core/json-shape
 * Whether a value survives a JSON round trip as the same value, and if not,
 * where and why. `JSON.stringify` does not fail on most mistakes: a `Map`
 * becomes `{}`, `NaN` becomes `null`, a function inside an object vanishes.
 * A task result that silently changes on the way is worse than one that
 * fails, so results are checked here and the error names the path.
 */

/**
 * The first problem found, as `<path> is <what>`, or undefined when the value is plain JSON.
 * With `bytes`, `Uint8Array`s are fine too: queue messages carry them (core/message-body).
 */
export function findJsonProblem(root: unknown, rootName = 'value', options: { bytes?: boolean } = {}): string | undefined {
  const seen = new Set<object>();
  const stack: Array<{ value: unknown; path: string; leaving?: object }> = [{ value: root, path: rootName }];
  while (stack.length > 0) {
    const { value, path, leaving } = stack.pop()!;
    if (leaving !== undefined) {
      seen.delete(leaving);
      continue;
    }
    if (options.bytes === true && value instanceof Uint8Array) continue;
    const problem = problemOf(value);
    if (problem !== undefined) return `${path} is ${problem}`;
    if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') continue;
    if (seen.has(value)) return `${path} is a circular reference`;
    seen.add(value);
    stack.push({ value: undefined, path, leaving: value });
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        if (value[i] === undefined) return `${path}[${i}] is undefined (JSON turns it into null)`;
        stack.push({ value: value[i], path: `${path}[${i}]` });
      }
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      // An undefined property is simply absent in JSON, as optional fields are meant to be.
      if (item !== undefined) stack.push({ value: item, path: /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]` });
    }
  }
  return undefined;
}

function problemOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint': return 'a BigInt (JSON has no such number; send it as a string)';
    case 'function': return 'a function';
    case 'symbol': return 'a symbol';
    case 'undefined': return 'undefined';
    case 'number': return Number.isFinite(value) ? undefined : `${value} (JSON has no such number; it would arrive as null)`;
    case 'object': {
      if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
        return `a ${value.constructor.name} (it would arrive as {}; use an array or a plain object)`;
      }
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        return 'binary data (put bytes in the blob store and return its reference)';
      }
      return undefined;
    }
    default: return undefined;
  }
}
