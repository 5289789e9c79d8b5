/**
 * @module cli/error-line
 * What `millrace:` prints for an error that ends a command: its code, then
 * its message. A Node system error (a file that cannot be opened, a folder
 * that cannot be made) says instead what could not be done to which path:
 * Node's own text, `ENOTDIR: not a directory, mkdir '/data/x'`, printed
 * after its code, repeated the code and buried the path.
 */

/**
 * @example
 * ```ts
 * errorLine(Object.assign(new Error("ENOTDIR: not a directory, mkdir '/a/b'"), { code: 'ENOTDIR', syscall: 'mkdir', path: '/a/b' }))
 * // "cannot mkdir /a/b: not a directory (ENOTDIR)"
 * ```
 */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const { code, syscall, path } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; syscall?: unknown; path?: unknown };
  if (typeof code !== 'string') return message;
  if (typeof syscall !== 'string') return `${code}: ${message}`;
  const reason = message.startsWith(`${code}: `) ? message.slice(code.length + 2).replace(/, \w+ '.*'$/, '') : message;
  return `cannot ${syscall}${typeof path === 'string' ? ` ${path}` : ''}: ${reason} (${code})`;
}
