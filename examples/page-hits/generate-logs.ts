/**
 * @module examples/page-hits/generate-logs
 * Deterministic synthetic web-server access logs in Combined Log Format:
 * the same size and seed always give the same bytes, so a benchmark or a
 * test can regenerate its input instead of shipping it, and two runs can be
 * compared byte for byte.
 *
 * What the logs look like, and why:
 * - Page popularity follows a Zipf law (the 1st page is requested about
 *   twice as often as the 2nd, ten times as often as the 10th), as on real
 *   sites: a few pages take most hits and there is a long tail, so the
 *   counting map stays small while the input grows.
 * - About one line in five has a query string, which page-hits strips.
 * - About 1 line in 400 is malformed in the ways real logs are: cut short
 *   (a crash mid-write), `"-"` requests of timed-out connections, an
 *   HTTP/0.9 request with no protocol, and junk from port scanners.
 * - One line in 200 has a user agent with Latin-1 letters (`ø`, `é`),
 *   so records are UTF-8, not ASCII.
 *
 * Speed: lines are assembled from pre-built pieces (hosts, pages, agents, a
 * timestamp string re-formatted once per simulated second) and written in
 * 4 MiB chunks, so generation runs at a few hundred MB/s.
 */
import { open } from 'node:fs/promises';
import { seededRandom } from '../../src/core/seeded-random.js';
import { utf8, pagePath, formatStamp, int, zipf, NEWLINE, QUOTE, DASH, DASHES, NO_USER, OPEN_STAMP, CLOSE_STAMP, OPEN_REFERER, BETWEEN_QUOTES, TIMED_OUT, NO_PROTOCOL, METHODS, PROTOCOLS, STATUSES, QUERIES, USERS, REFERERS, AGENTS, LATIN_AGENTS, JUNK } from './log-vocabulary.js';

/** What {@link generateLogs} wrote. */
export interface GeneratedLogs {
  path: string;
  bytes: number;
  lines: number;
  /** Lines written malformed on purpose. */
  malformed: number;
}

/** Distinct pages in the population. */
const PAGES = 20_000;
const HOSTS = 5_000;
const CHUNK_BYTES = 4 * 1024 * 1024;
/** One line in this many is malformed. */
const MALFORMED_EVERY = 400;
const START_TIME_MS = Date.UTC(2024, 2, 1);

/**
 * Writes about `bytes` bytes of logs to `path` (replacing it): whole lines,
 * stopping before the line that would pass `bytes`, so the file is at most
 * one line (~300 bytes) short of it. `onProgress` hears the bytes written
 * after each chunk.
 *
 * @example
 * ```ts
 * await generateLogs('/tmp/access.log', 100 * 1024 * 1024, 1)
 * ```
 */
export async function generateLogs(path: string, bytes: number, seed = 1, onProgress?: (written: number, total: number) => void): Promise<GeneratedLogs> {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bytes must be a whole number ≥ 0, got ${bytes}`);
  const generator = createLogGenerator(seed);
  const file = await open(path, 'w');
  let written = 0;
  try {
    while (written < bytes) {
      const chunk = generator.chunk(Math.min(CHUNK_BYTES, bytes - written));
      if (chunk.length === 0) break;
      await file.write(chunk);
      written += chunk.length;
      onProgress?.(written, bytes);
    }
  } finally {
    await file.close();
  }
  return { path, bytes: written, lines: generator.lines, malformed: generator.malformed };
}

/** A stream of log lines, handed out as UTF-8 bytes. */
export interface LogGenerator {
  /** Whole lines (each ending in `\n`) totalling at most `maxBytes`; empty when not even one fits. */
  chunk(maxBytes: number): Buffer;
  /** Lines handed out so far. */
  readonly lines: number;
  /** Of which malformed on purpose. */
  readonly malformed: number;
}

/** No line is longer than this (the longest pieces add up to about 400 bytes). */
const MAX_LINE_BYTES = 1024;

/**
 * A generator of log lines for `seed`. Lines are written byte by byte from
 * pre-encoded pieces straight into the output buffer: building a string per
 * line and encoding it costs three times as much.
 */
export function createLogGenerator(seed: number): LogGenerator {
  const random = seededRandom(seed);
  const pages = Array.from({ length: PAGES }, (_, rank) => utf8(pagePath(rank, random)));
  const pickPage = zipf(PAGES, random);
  const hosts = Array.from({ length: HOSTS }, () => utf8(`${1 + int(random, 223)}.${int(random, 256)}.${int(random, 256)}.${1 + int(random, 254)}`));
  const pickHost = zipf(HOSTS, random);
  const scratch = Buffer.allocUnsafe(MAX_LINE_BYTES);
  let clock = START_TIME_MS;
  let stampSecond = -1;
  let stamp = utf8('');
  /** A line that did not fit in the last chunk: [start, end) of `scratch`. */
  let pending = 0;
  let pendingMalformed = false;
  let lines = 0;
  let malformed = 0;

  const tick = (): void => {
    clock += int(random, 4);
    const second = Math.floor(clock / 1000);
    if (second !== stampSecond) {
      stampSecond = second;
      stamp = utf8(formatStamp(clock));
    }
  };

  /** `host - user [time] "METHOD page?query PROTOCOL" status size "referer" "agent"` at `at`; returns the end. */
  const wellFormed = (out: Buffer, at: number): number => {
    tick();
    let i = put(out, at, hosts[pickHost()]!);
    i = put(out, i, random() < 0.02 ? USERS[int(random, USERS.length)]! : DASHES);
    i = put(out, i, OPEN_STAMP);
    i = put(out, i, stamp);
    i = put(out, i, CLOSE_STAMP);
    i = put(out, i, METHODS[int(random, METHODS.length)]!);
    i = put(out, i, pages[pickPage()]!);
    if (random() < 0.2) i = put(out, i, QUERIES[int(random, QUERIES.length)]!);
    i = put(out, i, PROTOCOLS[int(random, PROTOCOLS.length)]!);
    const r = random();
    const status = r < 0.8 ? 0 : r < 0.88 ? 1 : r < 0.94 ? 2 : r < 0.97 ? 3 : r < 0.99 ? 4 : 5;
    i = put(out, i, STATUSES[status]!);
    i = status === 1 ? put(out, i, DASH) : putInt(out, i, int(random, 50_000));
    i = put(out, i, OPEN_REFERER);
    i = put(out, i, random() < 0.4 ? DASH : REFERERS[int(random, REFERERS.length)]!);
    i = put(out, i, BETWEEN_QUOTES);
    i = put(out, i, random() < 0.005 ? LATIN_AGENTS[int(random, LATIN_AGENTS.length)]! : AGENTS[int(random, AGENTS.length)]!);
    out[i++] = QUOTE;
    return i;
  };

  const broken = (out: Buffer, at: number): number => {
    malformed++;
    switch (int(random, 4)) {
      case 0: {
        const end = wellFormed(out, at);
        return at + 10 + int(random, end - at - 20); // cut short
      }
      case 1: { // a connection that timed out before sending a request
        const i = put(out, put(out, put(out, at, hosts[pickHost()]!), NO_USER), stamp);
        return put(out, i, TIMED_OUT);
      }
      case 2: { // HTTP/0.9: no protocol
        const i = put(out, put(out, put(out, at, hosts[pickHost()]!), NO_USER), stamp);
        const request = put(out, put(out, i, CLOSE_STAMP), METHODS[0]!);
        return put(out, put(out, request, pages[pickPage()]!), NO_PROTOCOL);
      }
      default:
        return put(out, at, JUNK[int(random, JUNK.length)]!);
    }
  };

  /** One line and its newline at `at`; returns the end. */
  const line = (out: Buffer, at: number): number => {
    lines++;
    const end = random() * MALFORMED_EVERY < 1 ? broken(out, at) : wellFormed(out, at);
    out[end] = NEWLINE;
    return end + 1;
  };

  return {
    chunk: (maxBytes) => {
      const out = Buffer.allocUnsafe(maxBytes);
      let size = 0;
      if (pending > 0) {
        if (pending > maxBytes) return out.subarray(0, 0);
        size = put(out, 0, scratch.subarray(0, pending));
        pending = 0;
        pendingMalformed = false;
      }
      while (size + MAX_LINE_BYTES <= maxBytes) size = line(out, size);
      // Near the end: write into the scratch buffer and keep a line that does not fit for the next chunk.
      for (;;) {
        const before = malformed;
        const length = line(scratch, 0);
        if (size + length > maxBytes) {
          pending = length;
          pendingMalformed = malformed > before;
          break;
        }
        size = put(out, size, scratch.subarray(0, length));
      }
      return out.subarray(0, size);
    },
    get lines() {
      return lines - (pending > 0 ? 1 : 0);
    },
    get malformed() {
      return malformed - (pendingMalformed ? 1 : 0);
    },
  };
}

/** Copies `piece` into `out` at `at`; returns the end. A loop for short pieces: a native call costs more than it saves. */
function put(out: Buffer, at: number, piece: Buffer): number {
  const length = piece.length;
  if (length > 48) return at + piece.copy(out, at);
  for (let i = 0; i < length; i++) out[at + i] = piece[i]!;
  return at + length;
}

/** Writes `value` (≥ 0) in decimal at `at`; returns the end. */
function putInt(out: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
  for (let i = at + digits - 1, v = value; i >= at; i--, v = Math.floor(v / 10)) out[i] = 48 + (v % 10);
  return at + digits;
}
