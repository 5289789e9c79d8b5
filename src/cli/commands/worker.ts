/**
 * `millrace worker`: serve tasks from a module until stopped; SIGTERM or
 * SIGINT drain first (stop taking tasks, finish those in hand, exit). On a
 * cluster queue, any number of workers on any machines share the work and
 * may join or leave while processes run.
 */
import type { Command } from 'commander';
import { createMillrace } from '../../runtime/millrace.js';
import { intOption, tagsOption } from '../parse.js';
import { untilStopSignal } from '../signals.js';

interface WorkerFlags {
  tasks: string;
  tags: string[];
  untagged?: boolean;
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
    .option('--tags <a,b>', 'take the tasks routed to these tags (millrace server --route task=tag:share) instead of untagged ones', tagsOption, [])
    .option('--untagged', 'with --tags, take untagged tasks as well')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (flags: WorkerFlags) => {
      const millrace = await createMillrace({ dataDir: flags.dataDir, threads: flags.threads });
      // No orchestrator in this process: results always travel through the result queue.
      const worker = await millrace.startWorker({ tasks: flags.tasks, concurrency: flags.concurrency, queueName: flags.queue, tags: flags.tags, untagged: flags.untagged, resultsInProcess: false });
      millrace.logger.info({ tasks: worker.pool.tasks.map((t) => t.name), threads: worker.pool.stats.size, queue: flags.queue, tags: flags.tags, queues: worker.queues, backends: millrace.describeBackends }, 'worker started');
      process.stdout.write(`millrace worker ready: ${worker.pool.stats.size} thread(s) on ${worker.queues.join(', ')}\n`);
      await untilStopSignal(millrace.logger, 'draining: finishing tasks in hand, taking no new ones');
      await worker.stop({ drain: true });
      millrace.logger.info({ stats: worker.stats() }, 'worker stopped');
      await millrace.close();
    });
}
