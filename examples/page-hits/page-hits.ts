/**
 * @module examples/page-hits/page-hits
 * The page-hits job: how many times each page was requested, from web-server
 * access logs in Combined Log Format, top pages first.
 *
 * ```
 *  access.log ─▶ map: line → (page, 1), malformed → reject ─▶ combine: + ─▶ reduce: Σ ─▶ finalize: page-hits.csv
 * ```
 *
 * This module is the task module the worker threads load (it exports the
 * job, whose own properties are its task definitions) and the definition
 * the orchestrator runs (`pageHits.process`). It imports nothing heavier
 * than the job template, so a thread loads it in milliseconds.
 */
import { defineMapReduce } from '../../src/mapreduce/define-map-reduce.js';
import type { BlobRef } from '../../src/ports/blob-store.js';
import { describeProblem, pageOf } from './clf.js';

/** What the job returns besides its outputs (the `result` of its `MapReduceResult`). */
export interface PageHitsSummary {
  /** `page,count` rows, count descending, then page ascending. */
  csv: BlobRef;
  pages: number;
  hits: number;
  /** The first ten rows. */
  top: Array<{ page: string; hits: number }>;
}

/**
 * The job. Four partitions: the counted data is small (one line per page
 * per split after combining), so reducers are cheap and few blobs suffice.
 */
export const pageHits = defineMapReduce<number, number, PageHitsSummary>({
  name: 'page-hits',
  version: 1,
  partitions: 4,
  map: (line, emit, context) => {
    const page = pageOf(line);
    if (typeof page === 'string') emit(page, 1);
    else context.reject(describeProblem(page));
  },
  combine: (count, more) => count + more,
  reduce: (_page, counts) => {
    let total = 0;
    for (const count of counts) total += count;
    return total;
  },
  finalize: async (outputs, context) => {
    const rows: PageCount[] = [];
    for (const ref of outputs) for await (const [page, hits] of context.pairs<number>(ref)) rows.push([page, hits]);
    rows.sort(byHitsThenPage);
    const csv = await context.write('page-hits.csv', csvChunks(rows));
    let hits = 0;
    for (const row of rows) hits += row[1];
    return { csv, pages: rows.length, hits, top: rows.slice(0, 10).map(([page, count]) => ({ page, hits: count })) };
  },
});

/** A page and its hits. */
export type PageCount = [page: string, hits: number];

/** Count descending, then page ascending (by UTF-16 code units, as JavaScript compares strings). */
export function byHitsThenPage(a: PageCount, b: PageCount): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** `page,count` then one row per page, as UTF-8 in pieces (a large table is never one string). */
export function* csvChunks(rows: readonly PageCount[]): Generator<Buffer> {
  let text = 'page,count\n';
  for (const [page, hits] of rows) {
    text += `${csvField(page)},${hits}\n`;
    if (text.length < 256 * 1024) continue;
    yield Buffer.from(text, 'utf8');
    text = '';
  }
  yield Buffer.from(text, 'utf8');
}

/** RFC 4180: a field holding a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
