/**
 * @module bench/page-count
 * page-hits written by hand, without the engine: the per-core limit the
 * `mapreduce` benchmark compares millrace with. What a careful programmer
 * writes: stream the file in 1 MiB reads, split lines, parse the page with
 * the example's parser, count in a `Map`. It decodes lines the same fast way
 * the engine does (Latin-1, re-decoding as UTF-8 only lines that hold a
 * non-ASCII byte, found with `isAscii` over 4 KiB windows), so a ratio
 * measures the engine, not a decoding trick one side lacks.
 *
 * `countPageRange` reads a byte range aligned to lines the Hadoop way (skip
 * the first partial line unless at 0, finish the last one past the end), so
 * the parallel ceiling can give each thread a share of one file.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pageOf } from '../examples/page-hits/clf.js';
import { byHitsThenPage, csvChunks, type PageCount } from '../examples/page-hits/page-hits.js';

const NEWLINE = 10;

/** Adds the hits of the lines that start in `(start, end]` (or at 0) of `path` to `counts`. */
export async function countPageRange(path: string, start: number, end: number, counts: Map<string, number>, signal?: AbortSignal): Promise<void> {
  const count = (line: string): void => {
    const page = pageOf(line);
    if (typeof page === 'string') counts.set(page, (counts.get(page) ?? 0) + 1);
  };
  let position = start;
  let skipping = start > 0;
  let carry: Buffer | undefined;
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1024 * 1024, signal }) as AsyncIterable<Buffer>) {
    const chunkStart = position;
    position += chunk.length;
    let from = 0;
    if (skipping) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0 ? position >= end : chunkStart + newline >= end) return;
      if (newline < 0) continue;
      skipping = false;
      from = newline + 1;
    }
    const stop = end - chunkStart < chunk.length ? chunk.indexOf(NEWLINE, Math.max(from, end - chunkStart)) : -1;
    const piece = chunk.subarray(from, stop >= 0 ? stop + 1 : chunk.length);
    const bytes = carry === undefined ? piece : Buffer.concat([carry, piece]);
    const complete = stop >= 0 ? bytes.length : bytes.lastIndexOf(NEWLINE) + 1;
    linesOf(bytes, complete, count);
    carry = bytes.subarray(complete);
    if (stop >= 0) return;
  }
  if (!skipping && carry !== undefined && carry.length > 0) linesOf(carry, carry.length, count);
}

/** Sorts the counts (count descending, page ascending) and writes the CSV. */
export async function writePageCsv(counts: Map<string, number>, out: string): Promise<void> {
  const rows: PageCount[] = [...counts];
  rows.sort(byHitsThenPage);
  const file = await open(out, 'w');
  try {
    for (const piece of csvChunks(rows)) await file.write(piece);
  } finally {
    await file.close();
  }
}

/**
 * Lines of `bytes[0, end)`, `\r\n` or `\n`: Latin-1 for ASCII lines, UTF-8 for
 * the others, decoded in pieces of about 64 KiB of whole lines (young-generation
 * strings: a 1 MiB string is born old and brings on full collections).
 */
function linesOf(bytes: Buffer, end: number, visit: (line: string) => void): void {
  for (let from = 0; from < end;) {
    let to = from + 65_536 < end ? bytes.indexOf(NEWLINE, from + 65_536) + 1 : end;
    if (to === 0 || to > end) to = end;
    linesIn(bytes, from, to, visit);
    from = to;
  }
}

function linesIn(bytes: Buffer, from: number, end: number, visit: (line: string) => void): void {
  const text = bytes.toString('latin1', from, end);
  const length = end - from;
  const wide: number[] = [];
  for (let window = from; window < end; window += 4096) {
    const windowEnd = Math.min(end, window + 4096);
    if (!isAscii(bytes.subarray(window, windowEnd))) for (let at = window; at < windowEnd; at++) if (bytes[at]! >= 0x80) wide.push(at - from);
  }
  wide.push(length);
  let next = 0;
  for (let start = 0; start < length;) {
    let stop = text.indexOf('\n', start);
    if (stop < 0) stop = length;
    const lineEnd = stop > start && text.charCodeAt(stop - 1) === 13 ? stop - 1 : stop;
    if (wide[next]! < stop) {
      visit(bytes.toString('utf8', from + start, from + lineEnd));
      while (wide[next]! < stop) next++;
    } else {
      visit(text.slice(start, lineEnd));
    }
    start = stop + 1;
  }
}
