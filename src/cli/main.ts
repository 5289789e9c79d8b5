#!/usr/bin/env node
/**
 * @module cli/main
 * The `millrace` command. Usage errors (an unknown flag, a bad value) print
 * one line and exit with 2; an engine error prints its code and message
 * and exits with 1; no stack traces unless MILLRACE_DEBUG=1.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createRequire } from 'node:module';
import { registerBench } from './commands/bench.js';
import { registerBlobs } from './commands/blobs.js';
import { applyConfigFile } from './config-loader.js';
import { errorLine } from './error-line.js';
import { registerDataset } from './commands/dataset.js';
import { registerDemo } from './commands/demo.js';
import { registerDial } from './commands/dial.js';
import { registerExample } from './commands/example.js';
import { registerQueue } from './commands/queue.js';
import { registerProcessCommands } from './commands/processes.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerServer } from './commands/server.js';
import { registerStream } from './commands/stream.js';
import { registerTask } from './commands/task.js';
import { registerToken } from './commands/token.js';
import { registerPolicy } from './commands/policy.js';
import { registerRetry } from './commands/retry.js';
import { registerWorker } from './commands/worker.js';
import { registerWorkers } from './commands/workers.js';

const EXIT_USAGE = 2;
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('millrace')
    .description('Millrace: jobs, streams and queries on one engine — embedded, or clustered by configuration')
    .version(version)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`millrace: ${text.replace(/^error: /, '').trim()}\n`) })
    .option('--config <file>', 'config file (default: MILLRACE_CONFIG, else ./millrace.config.ts|mjs|js if present)')
    .hook('preAction', async () => void (await applyConfigFile((program.opts() as { config?: string }).config)));
  registerDemo(program);
  registerServer(program);
  registerWorker(program);
  registerWorkers(program);
  registerRun(program);
  registerProcessCommands(program);
  registerTask(program);
  registerToken(program);
  registerPolicy(program);
  registerRetry(program);
  registerQueue(program);
  registerBlobs(program);
  registerBench(program);
  registerDataset(program);
  registerReplay(program);
  registerDial(program);
  registerStream(program);
  registerExample(program);
  for (const command of program.commands) inheritErrorHandling(command);
  return program;
}

function inheritErrorHandling(command: Command): void {
  command.exitOverride().showSuggestionAfterError().configureOutput({ outputError: (text, write) => write(`millrace: ${text.replace(/^error: /, '').trim()}\n`) });
  for (const sub of command.commands) inheritErrorHandling(sub);
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // First: an InvalidArgumentError is a CommanderError too, but one thrown by a command's action
    // (commander reports its own parse errors as new errors, already printed), so nothing has said it yet.
    if (error instanceof InvalidArgumentError) {
      process.stderr.write(`millrace: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`millrace: ${errorLine(error)}\n`);
    if (process.env.MILLRACE_DEBUG === '1') process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
