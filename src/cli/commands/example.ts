/** `millrace example logs`: generate synthetic access logs for the page-hits example and benchmarks. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { fileURLToPath } from 'node:url';
import { registerTypeScript } from '../module-loader.js';
import { PAGE_HITS_EXAMPLE } from '../demo/run-page-hits-demo.js';
import { intOption } from '../parse.js';
import { createProgressBar } from '../progress.js';

export function registerExample(program: Command): void {
  const example = program.command('example').description('data for the examples');
  example
    .command('logs')
    .description('generate Combined Log Format access logs (Zipf page popularity, a few malformed lines)')
    .requiredOption('--size <size>', 'how much, e.g. 500MB, 1GB', parseSize)
    .requiredOption('--out <file>', 'where to write')
    .option('--seed <n>', 'same seed, same logs', intOption(0, 2 ** 31), 1)
    .action(async (flags: { size: number; out: string; seed: number }) => {
      await registerTypeScript(fileURLToPath(PAGE_HITS_EXAMPLE));
      const { generateLogs } = (await import(PAGE_HITS_EXAMPLE.href)) as { generateLogs: (path: string, bytes: number, seed?: number, onProgress?: (written: number, total: number) => void) => Promise<unknown> };
      const started = performance.now();
      const bar = createProgressBar('logs');
      await generateLogs(flags.out, flags.size, flags.seed, (written, total) => bar.update(written, total, 'bytes'));
      bar.finish();
      process.stdout.write(`wrote ${(flags.size / 1e6).toFixed(0)} MB to ${flags.out} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    });
}

/** `500MB`, `1GB`, `64KiB`, or a plain byte count. */
function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/i.exec(value.trim());
  if (match === null) throw new InvalidArgumentError(`expected a size like 500MB or 1GB, got "${value}"`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  return Math.round(Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()]!);
}
