/**
 * `millrace dial <stream> key=value …`: changes a micro-batch stream's
 * dials (maxMessages, maxWaitMs, concurrency) while it runs, by appending
 * the change to its control topic `<stream>.dials`; the stream applies it
 * to the buckets it forms next. Nothing in flight is lost or run twice.
 */
import type { Command } from 'commander';
import { createMillrace } from '../../runtime/millrace.js';
import { parseDialArguments, setDials } from '../../streams/runtime/dials.js';

export function registerDial(program: Command): void {
  program
    .command('dial')
    .description('change a live setting of a running micro-batch stream: maxMessages, maxWaitMs, concurrency')
    .argument('<stream>', 'the micro-batch stream\'s name')
    .argument('<settings...>', 'key=value, e.g. maxMessages=500 concurrency=4')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (stream: string, settings: string[], flags: { dataDir?: string }) => {
      const change = parseDialArguments(settings);
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        await setDials(millrace.log, stream, change);
        process.stdout.write(`${JSON.stringify({ stream, dials: change })}\n`);
      } finally {
        await millrace.close();
      }
    });
}
