/** `millrace worker`: serve tasks from a module until stopped; SIGTERM/SIGINT drain first. */
import type { Command } from 'commander';
import { createMillrace } from '../../runtime/millrace.js';
import { intOption } from '../parse.js';

interface WorkerFlags {
  tasks: string;
  threads?: number;
  concurrency?: number;
  queue: string;
  dataDir?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run tasks from a module on worker threads, taking them from the task queue')
    .requiredOption('--tasks <module>', 'module that exports task definitions (defineTask)')
    .option('--threads <n>', 'worker threads (default: cores)', intOption(1, 1024))
    .option('--concurrency <n>', 'tasks in flight at once (default: 16 per thread)', intOption(1, 100_000))
    .option('--queue <name>', 'queue to consume', 'tasks')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (flags: WorkerFlags) => {
      const millrace = await createMillrace({ dataDir: flags.dataDir, threads: flags.threads });
      const worker = await millrace.startWorker({ tasks: flags.tasks, concurrency: flags.concurrency, queueName: flags.queue });
      millrace.logger.info({ tasks: worker.pool.tasks.map((t) => t.name), threads: worker.pool.stats.size, queue: flags.queue }, 'worker started');
      await new Promise<void>((resolveStop) => {
        const stop = (signal: string): void => {
          millrace.logger.info({ signal }, 'draining: finishing tasks in hand, taking no new ones');
          resolveStop();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await worker.stop({ drain: true });
      millrace.logger.info({ stats: worker.stats() }, 'worker stopped');
      await millrace.close();
    });
}
