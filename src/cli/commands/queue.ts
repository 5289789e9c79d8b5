/** `millrace queue`: inspect queues and their dead letters. */
import type { Command } from 'commander';
import { createMillrace, type Millrace } from '../../runtime/millrace.js';
import { intOption } from '../parse.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('inspect task queues and dead letters');
  const withEngine = async (dataDir: string | undefined, work: (m: Millrace) => Promise<void>): Promise<void> => {
    const millrace = await createMillrace({ dataDir, logLevel: 'warn' });
    try {
      await work(millrace);
    } finally {
      await millrace.close();
    }
  };

  queue
    .command('stats')
    .description('counts of ready, delayed, in-flight and dead-lettered messages (one JSON line)')
    .argument('[queue]', 'queue name', 'tasks')
    .option('--json', JSON_FLAG_HELP)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (name: string, flags: { json?: boolean; dataDir?: string }) =>
      withEngine(flags.dataDir, async (m) => {
        const stats = { queue: name, ...(await m.queue.stats(name)) };
        if (flags.json) printJson(stats);
        else process.stdout.write(`${JSON.stringify(stats)}\n`);
      }));

  queue
    .command('dead-letters')
    .description('list dead letters with their reasons, as JSON lines')
    .argument('[queue]', 'queue name', 'tasks')
    .option('--limit <n>', 'most to list', intOption(1, 100_000), 100)
    .option('--json', `${JSON_FLAG_HELP}: an array`)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (name: string, flags: { limit: number; json?: boolean; dataDir?: string }) =>
      withEngine(flags.dataDir, async (m) => {
        const letters = await m.queue.deadLetters(name, { limit: flags.limit });
        if (flags.json) printJson(letters);
        else for (const letter of letters) process.stdout.write(`${JSON.stringify(letter)}\n`);
      }));

  queue
    .command('requeue')
    .description('move a dead letter back to its queue with a fresh attempt count')
    .argument('<queue>', 'queue name')
    .argument('<id>', 'message id')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (name: string, id: string, flags: { dataDir?: string }) =>
      withEngine(flags.dataDir, async (m) => {
        await m.queue.requeueDeadLetter(name, id);
        process.stdout.write(`requeued ${id} on ${name}\n`);
      }));

  queue
    .command('drop')
    .description('delete a dead letter for good')
    .argument('<queue>', 'queue name')
    .argument('<id>', 'message id')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (name: string, id: string, flags: { dataDir?: string }) =>
      withEngine(flags.dataDir, async (m) => {
        await m.queue.dropDeadLetter(name, id);
        process.stdout.write(`dropped ${id} from the dead letters of ${name}\n`);
      }));
}
