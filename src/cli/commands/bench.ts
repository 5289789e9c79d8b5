/** `millrace bench`: runs the benchmarks of a source checkout (they compare against peers, so they live in bench/). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { MillraceError } from '../../core/errors.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run a benchmark (or all) from a source checkout; writes bench/results/')
    .argument('[name]', 'benchmark name; all when omitted')
    .allowUnknownOption()
    .action((name: string | undefined, _flags: unknown, command: Command) => {
      const runner = fileURLToPath(new URL('../../../bench/run.ts', import.meta.url));
      if (!existsSync(runner)) {
        throw new MillraceError('NOT_AVAILABLE', 'benchmarks run from a source checkout: clone the repository, then `npm ci && npm run bench`');
      }
      const extra = command.args.slice(name === undefined ? 0 : 1);
      const result = spawnSync(process.execPath, ['--import', 'tsx', runner, ...(name === undefined ? [] : [name]), ...extra], { stdio: 'inherit' });
      process.exitCode = result.status ?? 1;
    });
}
