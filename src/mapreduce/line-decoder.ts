/**
 * @module mapreduce/line-decoder
 * Turns a buffer of complete lines into strings, one call per line: the
 * innermost loop of every map task, so it is written for speed.
 *
 * Decoding UTF-8 is what costs most here. Node 20's decoder runs at about
 * 1 GB/s on ASCII and 200–300 MB/s as soon as a chunk holds one non-ASCII
 * byte — slower than parsing an access-log line. So the buffer is decoded
 * as Latin-1 (a copy, several GB/s), which is exact for every line made of
 * ASCII bytes, and the lines that hold a byte ≥ 0x80 are found with
 * `isAscii` over 4 KiB windows (SIMD, ~10 GB/s) and a byte scan of the
 * windows that fail, and decoded again from their bytes as UTF-8. Each
 * line gets exactly what decoding it as UTF-8 would give (invalid
 * sequences become U+FFFD), and a string index equals a byte offset.
 *
 * The Latin-1 text is made 64 KiB at a time, not a chunk at once: measured
 * in worker threads running page-hits, 1 MiB strings (born in the old
 * generation) tripled the garbage collector's threads' time and added a
 * fifth to the map's own.
 *
 * Lines end at `\n`; a `\r` before it is dropped (CRLF files), and a last
 * line without a newline is a line too.
 */
import { isAscii } from 'node:buffer';

const WINDOW_BYTES = 4096;
const PIECE_BYTES = 64 * 1024;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

/**
 * Calls `visit` for each line of `bytes` with the line (without `\n` or
 * `\r\n`) and the byte index where it starts. `bytes` must not end in the
 * middle of a UTF-8 sequence (ending at a newline guarantees it).
 *
 * @example
 * ```ts
 * eachLine(Buffer.from('a\r\nb\nc'), (line, at) => console.log(line, at)) // a 0, b 3, c 5
 * ```
 */
export function eachLine(bytes: Buffer, visit: (line: string, start: number) => void): void {
  const end = bytes.length;
  // Decoded in pieces of whole lines of about 64 KiB: a string that size is a young-generation
  // object, dropped by a cheap scavenge; a 1 MiB one goes straight to the old generation and
  // brings on full collections, which cost more the more live data the thread holds.
  for (let from = 0; from < end;) {
    let to = from + PIECE_BYTES < end ? bytes.indexOf(NEWLINE, from + PIECE_BYTES) + 1 : end;
    if (to === 0) to = end;
    eachLineIn(bytes, from, to, visit);
    from = to;
  }
}

function eachLineIn(bytes: Buffer, from: number, end: number, visit: (line: string, start: number) => void): void {
  const text = bytes.toString('latin1', from, end);
  const wide = nonAsciiPositions(bytes, from, end);
  const length = end - from;
  let next = 0; // index into `wide` of the first non-ASCII byte not yet passed
  let start = 0;
  while (start < length) {
    let stop = text.indexOf('\n', start);
    if (stop < 0) stop = length;
    let lineEnd = stop;
    if (lineEnd > start && text.charCodeAt(lineEnd - 1) === CARRIAGE_RETURN) lineEnd--;
    if (wide[next]! < stop) {
      visit(bytes.toString('utf8', from + start, from + lineEnd), from + start);
      while (wide[next]! < stop) next++;
    } else {
      visit(text.slice(start, lineEnd), from + start);
    }
    start = stop + 1;
  }
}

/** Number of lines in `bytes` as {@link eachLine} counts them. */
export function countLines(bytes: Buffer): number {
  let lines = 0;
  for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) lines++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== NEWLINE ? lines + 1 : lines;
}

/** Sorted positions (relative to `from`) of bytes ≥ 0x80 in `bytes[from, end)`, then `end - from` as a sentinel. */
function nonAsciiPositions(bytes: Buffer, from: number, end: number): number[] {
  const positions: number[] = [];
  for (let window = from; window < end; window += WINDOW_BYTES) {
    const windowEnd = Math.min(end, window + WINDOW_BYTES);
    if (isAscii(bytes.subarray(window, windowEnd))) continue;
    for (let at = window; at < windowEnd; at++) if (bytes[at]! >= 0x80) positions.push(at - from);
  }
  positions.push(end - from);
  return positions;
}
