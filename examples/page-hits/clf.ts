/**
 * @module examples/page-hits/clf
 * A Combined Log Format parser reduced to what page-hits needs: the page a
 * line requested, or why the line is not a well-formed access-log line.
 *
 * ```
 * host ident user [time] "METHOD target PROTOCOL" status bytes "referer" "agent"
 * ```
 *
 * It runs once per line on every core, so it is a hand-written scan with
 * `indexOf` and `charCodeAt` (no regular expression, no allocation but the
 * page string itself), and it returns a number instead of throwing or
 * building an object for a malformed line: {@link describeProblem} turns
 * that number into words only for the lines that are reported.
 *
 * The page is the request target up to its query string, exactly as logged:
 * `/a?x=1` and `/a?y=2` are the same page; percent-escapes are not decoded,
 * so `/caf%C3%A9` and `/café` are counted apart (decoding would merge paths
 * a server may treat differently, and a bad escape would need a rule of its
 * own). A line counts whatever its method and status: a 404 is an access too.
 */

/** Why a line is malformed; indexes into {@link PROBLEMS}. */
export type LineProblem = number;

/** What each {@link LineProblem} means. */
export const PROBLEMS: readonly string[] = [
  'empty line',
  'no [timestamp]',
  'no quoted request after the timestamp',
  'request is not "METHOD target PROTOCOL"',
  'no status and size after the request',
  'no quoted referer and user agent',
];

const QUOTE = 34; // "
const SPACE = 32;
const BACKSLASH = 92;

/**
 * The page a log line requested (its target without the query string), or a
 * {@link LineProblem} when the line is malformed. A returned string is
 * always non-empty.
 *
 * @example
 * ```ts
 * pageOf('1.2.3.4 - - [01/Mar/2024:00:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl"') // '/a'
 * describeProblem(pageOf('garbage') as number) // 'no [timestamp]'
 * ```
 */
export function pageOf(line: string): string | LineProblem {
  if (line.length === 0) return 0;
  const open = line.indexOf('[');
  if (open < 0) return 1;
  const close = line.indexOf('] "', open);
  if (close < 0) return 2;
  const start = close + 3; // first character of the request
  const end = closingQuote(line, start);
  if (end < 0) return 2;
  // METHOD: upper-case letters, then one space.
  let space = start;
  while (space < end) {
    const c = line.charCodeAt(space);
    if (c < 65 || c > 90) break;
    space++;
  }
  if (space === start || space >= end || line.charCodeAt(space) !== SPACE) return 3;
  const targetStart = space + 1;
  const protocolSpace = line.lastIndexOf(' ', end - 1);
  if (protocolSpace <= targetStart || !line.startsWith('HTTP/', protocolSpace + 1)) return 3;
  let targetEnd = line.indexOf('?', targetStart);
  if (targetEnd < 0 || targetEnd > protocolSpace) targetEnd = protocolSpace;
  if (targetEnd === targetStart || line.indexOf(' ', targetStart) < protocolSpace) return 3;
  const referer = statusAndSize(line, end + 1);
  if (referer < 0) return 4;
  const agent = line.indexOf('" "', referer + 1);
  if (agent < 0 || agent + 3 >= line.length || line.charCodeAt(line.length - 1) !== QUOTE) return 5;
  return line.slice(targetStart, targetEnd);
}

/** Words for a {@link LineProblem}. */
export function describeProblem(problem: LineProblem): string {
  return PROBLEMS[problem] ?? `unknown problem ${problem}`;
}

/** Index of the quote that ends the request starting at `from` (Apache escapes quotes in it as `\"`), or -1. */
function closingQuote(line: string, from: number): number {
  let at = line.indexOf('"', from);
  while (at > 0 && line.charCodeAt(at - 1) === BACKSLASH) at = line.indexOf('"', at + 1);
  return at;
}

/**
 * ` 200 1234 "` or ` 304 - "` at `at`: a three-digit status, a size or `-`,
 * then the referer's opening quote, whose index it returns (-1 if absent).
 */
function statusAndSize(line: string, at: number): number {
  if (line.charCodeAt(at) !== SPACE) return -1;
  for (let i = at + 1; i < at + 4; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  if (line.charCodeAt(at + 4) !== SPACE) return -1;
  let i = at + 5;
  if (line.charCodeAt(i) === 45) {
    i++;
  } else {
    const digits = i;
    for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(i)) i++;
    if (i === digits) return -1;
  }
  return line.charCodeAt(i) === SPACE && line.charCodeAt(i + 1) === QUOTE ? i + 1 : -1;
}
