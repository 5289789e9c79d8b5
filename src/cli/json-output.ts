/**
 * @module cli/json-output
 * `--json` on every read command, printed one way: exactly one JSON
 * document (an object or an array) on standard output, indented, ending in
 * a newline — so `millrace … --json | jq` and `JSON.parse(stdout)` always
 * work. Progress and notes go to standard error, never here.
 */
/** The help text of every `--json` option. */
export const JSON_FLAG_HELP = 'print one JSON document on stdout (for scripts)';

/** Prints `value` as the command's one JSON document. */
export function printJson(value: unknown, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}
