/**
 * `millrace demo`: the embedded engine end to end on a synthetic corpus,
 * with the dashboard open while it runs and after, until Ctrl-C — unless
 * `--once`, or nobody is watching (not a terminal, or CI=true; see
 * demo/demo-server).
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { intOption } from '../parse.js';
import { shouldServe } from '../demo/demo-server.js';
import { runDemo } from '../demo/run-demo.js';
import { runPageHitsDemo } from '../demo/run-page-hits-demo.js';
import { DEFAULT_PORT } from './server.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run page-hits (MapReduce over generated access logs) on the embedded engine; no services needed')
    .option('--size <mb>', 'megabytes of access logs to generate', intOption(1, 100_000), 100)
    .option('--word-count', 'run the smaller word-count task batch instead')
    .option('--documents <n>', 'word count: documents in the corpus', intOption(1, 1_000_000), 400)
    .option('--words <n>', 'word count: words per document', intOption(1, 10_000_000), 5000)
    .option('--split <n>', 'word count: documents per map task', intOption(1, 1_000_000), 10)
    .option('--threads <n>', 'worker threads', intOption(1, 1024), availableParallelism())
    .option('--seed <n>', 'corpus seed (same seed, same corpus)', intOption(0, 2 ** 31), 42)
    .option('--data-dir <dir>', 'where the demo keeps its state (wiped first)', '.millrace/demo')
    .addOption(new Option('--once', 'exit after the run instead of serving the dashboard (the default when stdout is not a terminal or CI=true)').conflicts('serve'))
    .option('--serve', 'serve the dashboard until Ctrl-C even when stdout is not a terminal')
    .option('--port <n>', 'dashboard port on 127.0.0.1 (any free one if taken; 0: any)', intOption(0, 65_535), DEFAULT_PORT)
    .action(async (options: { size: number; wordCount?: boolean; documents: number; words: number; split: number; threads: number; seed: number; dataDir: string; once?: boolean; serve?: boolean; port: number }) => {
      const serve = shouldServe(options) ? { port: options.port } : undefined;
      if (!options.wordCount) {
        await runPageHitsDemo({ dataDir: resolve(options.dataDir), bytes: options.size * 1e6, threads: options.threads, seed: options.seed, out: process.stdout, serve });
        return;
      }
      await runDemo({
        dataDir: resolve(options.dataDir),
        documents: options.documents,
        wordsPerDocument: options.words,
        split: options.split,
        threads: options.threads,
        seed: options.seed,
        out: process.stdout,
        serve,
      });
    });
}
