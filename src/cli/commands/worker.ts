/**
 * `millrace worker`: serve tasks from a module until stopped; SIGTERM or
 * SIGINT drain first (stop taking tasks, finish those in hand, exit). On a
 * cluster queue, any number of workers on any machines share the work and
 * may join or leave while processes run.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { createMillrace, type RunningWorker } from '../../runtime/millrace.js';
import { startQueryWorker } from '../../runtime/query-system.js';
import { intOption, tagsOption } from '../parse.js';
import { untilStopSignal } from '../signals.js';

interface WorkerFlags {
  tasks?: string;
  queries?: boolean;
  tags: string[];
  untagged?: boolean;
  threads?: number;
  concurrency?: number;
  prefetch?: number;
  recycleAfterTasks?: number;
  recycleAfterHours?: number;
  queue: string;
  dataDir?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run tasks from a module on worker threads, taking them from the task queue')
    .option('--tasks <module>', 'module that exports task definitions (defineTask)')
    .option('--queries', 'also answer dataset query strips (from the millrace.queries queue of a cluster)')
    .option('--threads <n>', 'worker threads (default: cores)', intOption(1, 1024))
    .option('--concurrency <n>', 'tasks in flight at once (default: 16 per thread)', intOption(1, 100_000))
    .option('--prefetch <n>', 'tasks taken ahead of a free slot, so results are stored while the next tasks run; 0 for long tasks over several workers (default: the concurrency)', intOption(0, 100_000))
    .option('--queue <name>', 'queue to consume', 'tasks')
    .option('--tags <a,b>', 'take the tasks routed to these tags (millrace server --route task=tag:share) instead of untagged ones', tagsOption, [])
    .option('--untagged', 'with --tags, take untagged tasks as well')
    .option('--recycle-after-tasks <n>', 'replace each worker thread after this many tasks (contains leaks in handlers)', intOption(1, 1_000_000_000))
    .option('--recycle-after-hours <h>', 'replace each worker thread after this many hours', intOption(1, 10_000))
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (flags: WorkerFlags) => {
      if (flags.tasks === undefined && flags.queries !== true) throw new InvalidArgumentError('give --tasks <module>, --queries, or both');
      const millrace = await createMillrace({ dataDir: flags.dataDir, threads: flags.threads });
      const workers: RunningWorker[] = [];
      try {
        if (flags.tasks !== undefined) {
          // No orchestrator in this process: results always travel through the result queue.
          const worker = await millrace.startWorker({ tasks: flags.tasks, concurrency: flags.concurrency, prefetch: flags.prefetch, queueName: flags.queue, tags: flags.tags, untagged: flags.untagged, resultsInProcess: false,
            recycle: flags.recycleAfterTasks === undefined && flags.recycleAfterHours === undefined ? undefined : { afterRuns: flags.recycleAfterTasks, afterMs: flags.recycleAfterHours === undefined ? undefined : flags.recycleAfterHours * 3_600_000 },
          });
          millrace.logger.info({ tasks: worker.pool.tasks.map((t) => t.name), threads: worker.pool.stats.size, queue: flags.queue, tags: flags.tags, queues: worker.queues, backends: millrace.describeBackends }, 'worker started');
          workers.push(worker);
        }
        if (flags.queries === true) workers.push(await startQueryWorker(millrace, { threads: flags.threads ?? millrace.config.threads }));
        const queues = workers.flatMap((worker) => worker.queues);
        process.stdout.write(`millrace worker ready: ${workers.reduce((n, w) => n + w.pool.stats.size, 0)} thread(s) on ${queues.join(', ')}\n`);
        await untilStopSignal(millrace.logger, 'draining: finishing tasks in hand, taking no new ones');
        for (const worker of workers) await worker.stop({ drain: true });
        millrace.logger.info({ stats: workers[0]!.stats() }, 'worker stopped');
      } finally {
        await millrace.close();
      }
    });
}
