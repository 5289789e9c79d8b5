/**
 * `millrace workers`: the workers heard from lately, from their heartbeats
 * on the Log (as `GET /api/workers` and the dashboard's Workers page show
 * them): embedded threads of a server and `millrace worker` processes.
 */
import type { Command } from 'commander';
import { SystemClock } from '../../core/clock.js';
import { createMillrace } from '../../runtime/millrace.js';
import { WorkerDirectory } from '../../runtime/worker-directory.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .description('list the workers heard from in the last 10 minutes: state (up, gone, stopped), host, pid, tags, load, last heartbeat')
    .option('--json', `${JSON_FLAG_HELP}: an array`)
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (flags: { json?: boolean; dataDir?: string }) => {
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        const clock = new SystemClock();
        const workers = await new WorkerDirectory(millrace.log, clock).list();
        if (flags.json) {
          printJson(workers);
          return;
        }
        if (workers.length === 0) process.stdout.write('no worker has reported in the last 10 minutes\n');
        for (const w of workers) {
          const ago = ((clock.now() - w.beatAt) / 1000).toFixed(1);
          process.stdout.write(`${w.state.padEnd(7)}  ${w.host} pid ${w.pid}  tags ${w.tags.join(',') || '-'}  ${w.inFlight}/${w.concurrency} in flight${(w.waiting ?? 0) > 0 ? ` (+${w.waiting} waiting in-process)` : ''}  done ${w.done} failed ${w.failed}  beat ${ago} s ago  ${w.kinds.join(',')}\n`);
        }
      } finally {
        await millrace.close();
      }
    });
}
