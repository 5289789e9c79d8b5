/**
 * @module cli/demo/run-page-hits-demo
 * `millrace demo`: the main job, embedded, on generated data. It generates
 * Combined Log Format access logs, then runs the page-hits MapReduce
 * (examples/page-hits): split → map with combine on the worker threads →
 * hash-partitioned runs → reduce → a CSV of pages by hits. It prints the top
 * pages, the malformed lines it counted, and where the files are. With
 * `serve`, the dashboard shows the process as it runs, and stays up after.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MillraceError } from '../../core/errors.js';
import { createMillrace } from '../../runtime/millrace.js';
import { registerTypeScript } from '../module-loader.js';
import { startDemoServer, type DemoServer } from './demo-server.js';

export interface PageHitsDemoOptions {
  dataDir: string;
  /** Bytes of logs to generate. */
  bytes: number;
  threads: number;
  seed: number;
  out: NodeJS.WritableStream;
  /** Serve the dashboard on this port during the run and until Ctrl-C after it. @defaultValue no dashboard */
  serve?: { port: number };
}

interface PageHitsExample {
  generateLogs(path: string, bytes: number, seed?: number): Promise<unknown>;
  runPageHits: (...args: never[]) => Promise<{ processId: string; elapsedMs: number; csvPath?: string; result: { result?: { pages: number; hits: number; top: Array<{ page: string; hits: number }> }; rejects: { count: number; samples: Array<{ reason?: string; record?: string }> } } }>;
  PAGE_HITS_TASKS: URL;
}

/** The example's folder, next to `src/` (or `dist/`) in a source checkout. */
export const PAGE_HITS_EXAMPLE = new URL('../../../examples/page-hits/index.ts', import.meta.url);

export async function runPageHitsDemo(options: PageHitsDemoOptions): Promise<void> {
  const out = (line = ''): void => void options.out.write(`${line}\n`);
  const example = await loadExample();
  rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const logs = join(options.dataDir, 'access.log');
  const csv = join(options.dataDir, 'page-hits.csv');
  out(`Millrace demo: page hits from web-server access logs, embedded (SQLite, files, ${options.threads} worker threads)`);
  out();
  const generated = performance.now();
  await example.generateLogs(logs, options.bytes, options.seed);
  const size = statSync(logs).size;
  out(`1/2 generated ${(size / 1e6).toFixed(0)} MB of access logs in ${((performance.now() - generated) / 1000).toFixed(1)} s: ${logs}`);

  const millrace = await createMillrace({ dataDir: join(options.dataDir, 'state'), threads: options.threads, logLevel: 'warn' });
  let server: DemoServer | undefined;
  try {
    if (options.serve !== undefined) {
      server = await startDemoServer(millrace, options.serve.port);
      out(`dashboard: ${server.url} (the process appears there as it runs)`);
    }
    await millrace.startWorker({ tasks: example.PAGE_HITS_TASKS });
    const run = await (example.runPageHits as unknown as (m: typeof millrace, files: string[], o: { out: string }) => ReturnType<PageHitsExample['runPageHits']>)(millrace, [logs], { out: csv });
    const summary = run.result.result;
    if (summary === undefined) throw new MillraceError('TASK_FAILED', 'page-hits finished without a summary');
    const seconds = run.elapsedMs / 1000;
    out(`2/2 counted ${summary.hits.toLocaleString('en-US')} hits on ${summary.pages.toLocaleString('en-US')} pages in ${seconds.toFixed(2)} s (${(size / 1e6 / seconds).toFixed(0)} MB/s), process ${run.processId}`);
    out();
    out('top pages');
    for (const { page, hits } of summary.top) out(`  ${String(hits).padStart(9)}  ${page}`);
    out();
    const rejects = run.result.rejects;
    out(`malformed lines: ${rejects.count} (counted, not fatal)`);
    const first = rejects.samples[0];
    if (first !== undefined) out(`  first, at byte ${first.offset.toLocaleString('en-US')} of ${first.input}: ${first.reason}: ${JSON.stringify(first.record)}`);
    out(`result: ${run.csvPath}   (page,count; count descending, then page)`);
    out(`state:  ${join(options.dataDir, 'state')}   (see it with: millrace status ${run.processId} --data-dir ${join(options.dataDir, 'state')})`);
    if (server !== undefined) {
      out();
      out(`Dashboard: ${server.url}/processes/${run.processId}`);
      out('Serving until Ctrl-C (`npm run demo -- --once` exits after the run).');
      await server.untilStopped();
    }
  } finally {
    await server?.close();
    await millrace.close();
  }
}

async function loadExample(): Promise<PageHitsExample> {
  const path = fileURLToPath(PAGE_HITS_EXAMPLE);
  try {
    statSync(path);
  } catch {
    throw new MillraceError('NOT_AVAILABLE', `the page-hits example is part of a source checkout (${path} is missing); run \`millrace demo --word-count\` instead`);
  }
  await registerTypeScript(path);
  return (await import(PAGE_HITS_EXAMPLE.href)) as PageHitsExample;
}
