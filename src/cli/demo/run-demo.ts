/**
 * @module cli/demo/run-demo
 * `millrace demo`: the embedded engine end to end, with no service to set
 * up. It writes a synthetic corpus to the blob store, fans out one
 * `count-words` task per document to the worker threads through the
 * durable SQLite queue (claim-check: tasks carry blob references, not
 * text), gathers the results exactly once per task, merges them, and checks
 * the answer against the corpus it wrote. With `serve`, the dashboard shows
 * the queues as it runs, and stays up after.
 */
import { rmSync } from 'node:fs';
import { MillraceError } from '../../core/errors.js';
import { createMillrace } from '../../runtime/millrace.js';
import { createProgressBar } from '../progress.js';
import { seededRandom } from '../../core/seeded-random.js';
import { makeDocument, makeVocabulary, zipfSampler } from './corpus.js';
import { startDemoServer, type DemoServer } from './demo-server.js';
import type { BlobRef } from '../../ports/blob-store.js';
import type { CountWordsInput, CountWordsOutput } from './demo-tasks.js';

export interface DemoOptions {
  dataDir: string;
  documents: number;
  wordsPerDocument: number;
  /** Documents per map task. */
  split: number;
  threads: number;
  seed: number;
  out: NodeJS.WritableStream;
  /** Serve the dashboard on this port during the run and until Ctrl-C after it. @defaultValue no dashboard */
  serve?: { port: number };
}

export interface DemoSummary {
  documents: number;
  words: number;
  distinctWords: number;
  top: Array<[string, number]>;
  elapsedMs: number;
  redeliveries: number;
  duplicatesDropped: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const out = (line = ''): void => void options.out.write(`${line}\n`);
  rmSync(options.dataDir, { recursive: true, force: true });
  const millrace = await createMillrace({ dataDir: options.dataDir, threads: options.threads, logLevel: 'warn' });
  let server: DemoServer | undefined;
  try {
    out(`Millrace demo — word count over a synthetic corpus, embedded (SQLite queue, file blobs, ${options.threads} worker threads)`);
    out(`state: ${options.dataDir}`);
    if (options.serve !== undefined) {
      server = await startDemoServer(millrace, options.serve.port);
      out(`dashboard: ${server.url} (queues as the tasks run)`);
    }
    out();

    const random = seededRandom(options.seed);
    const vocabulary = makeVocabulary(3000, random);
    const sample = zipfSampler(vocabulary.length, random);
    const upload = createProgressBar('1/3 writing documents to the blob store');
    const documents: BlobRef[] = [];
    for (let i = 0; i < options.documents; i++) {
      const text = makeDocument(vocabulary, sample, options.wordsPerDocument);
      documents.push(await millrace.blobs.put(`demo/documents/${String(i).padStart(5, '0')}.txt`, Buffer.from(text)));
      upload.update(i + 1, options.documents);
    }
    upload.finish();
    const inputs: CountWordsInput[] = [];
    for (let i = 0; i < documents.length; i += options.split) inputs.push({ documents: documents.slice(i, i + options.split) });

    const worker = await millrace.startWorker({ tasks: new URL(`./demo-tasks${extensionOf(import.meta.url)}`, import.meta.url) });
    const started = performance.now();
    const mapping = createProgressBar('2/3 counting words on worker threads');
    const report = await millrace.runTasks<CountWordsInput, CountWordsOutput>('count-words', inputs, {
      onProgress: ({ done, total, failed }) => mapping.update(done, total, failed > 0 ? `(${failed} failed)` : ''),
    });
    mapping.finish();
    const stats = worker.stats();
    await worker.stop();
    if (report.failed > 0) {
      const first = report.results.find((r) => !r.ok);
      throw new MillraceError('TASK_FAILED', `${report.failed} of ${inputs.length} tasks failed; first: ${first?.failure?.message}`);
    }

    const totals = new Map<string, number>();
    let words = 0;
    for (const output of report.outputs) {
      words += output!.words;
      for (const [word, count] of Object.entries(output!.counts)) totals.set(word, (totals.get(word) ?? 0) + count);
    }
    const elapsedMs = performance.now() - started;
    const expected = options.documents * options.wordsPerDocument;
    if (words !== expected) throw new MillraceError('TASK_FAILED', `counted ${words} words but the corpus has ${expected}`);
    const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 10);

    out('3/3 merged the partial counts');
    out();
    out(`documents          ${options.documents} in ${inputs.length} map tasks of up to ${options.split}`);
    out(`words counted      ${words} (checked against the corpus: exact)`);
    out(`distinct words     ${totals.size}`);
    out(`tasks              ${inputs.length} completed, ${stats.retried} retried, ${stats.redeliveries} redelivered, ${report.duplicatesDropped} duplicate results dropped`);
    out(`time               ${(elapsedMs / 1000).toFixed(2)} s (${Math.round(words / (elapsedMs / 1000)).toLocaleString('en-US')} words/s)`);
    out();
    out('top words');
    for (const [word, count] of top) out(`  ${word.padEnd(12)} ${String(count).padStart(8)}`);
    out();
    out('Next: docs/getting-started.md shows how to write your own tasks and run `millrace worker`.');
    if (server !== undefined) {
      out();
      out(`Dashboard: ${server.url}/queues`);
      out('Serving until Ctrl-C (`npm run demo -- --once` exits after the run).');
      await server.untilStopped();
    }
    return { documents: options.documents, words, distinctWords: totals.size, top, elapsedMs, redeliveries: stats.redeliveries, duplicatesDropped: report.duplicatesDropped };
  } finally {
    await server?.close();
    await millrace.close();
  }
}

function extensionOf(url: string): string {
  return url.endsWith('.ts') ? '.ts' : '.js';
}
