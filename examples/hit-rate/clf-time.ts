/**
 * @module examples/hit-rate/clf-time
 * The time of a Combined Log Format line, `[01/Mar/2024:13:05:09 +0100]`,
 * as ms since the epoch; `NaN` when the line has no such timestamp.
 */

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/**
 * @example
 * ```ts
 * timeOfLine('1.2.3.4 - - [01/Mar/2024:00:00:05 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"') // Date.UTC(2024, 2, 1, 0, 0, 5)
 * ```
 */
export function timeOfLine(line: string): number {
  const open = line.indexOf('[');
  if (open < 0 || line.charCodeAt(open + 27) !== 93 /* ] */) return Number.NaN;
  const stamp = line.slice(open + 1, open + 27); // dd/Mon/yyyy:HH:MM:SS +zzzz
  const month = MONTHS[stamp.slice(3, 6)];
  const day = digits(stamp, 0, 2);
  const year = digits(stamp, 7, 4);
  const hours = digits(stamp, 12, 2);
  const minutes = digits(stamp, 15, 2);
  const seconds = digits(stamp, 18, 2);
  const zone = digits(stamp, 22, 4);
  const sign = stamp[21] === '-' ? -1 : stamp[21] === '+' ? 1 : Number.NaN;
  if (month === undefined || stamp[2] !== '/' || stamp[6] !== '/' || stamp[11] !== ':' || stamp[20] !== ' ') return Number.NaN;
  const offsetMs = sign * (Math.floor(zone / 100) * 60 + (zone % 100)) * 60_000;
  return Date.UTC(year, month, day, hours, minutes, seconds) - offsetMs;
}

/** A whole number from `length` ASCII digits at `at`, or NaN. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return Number.NaN;
    value = value * 10 + c;
  }
  return value;
}
