/** `millrace task`: run one task per input (no process) and print the results. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { MillraceError } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import { createMillrace } from '../../runtime/millrace.js';
import { jsonOption, intOption } from '../parse.js';
import { createProgressBar } from '../progress.js';

interface TaskFlags {
  input?: unknown;
  inputs?: string;
  tasks?: string;
  threads?: number;
  queue: string;
  dataDir?: string;
}

export function registerTask(program: Command): void {
  program
    .command('task')
    .description('run a single task once per input (no process) and print the results as JSON lines')
    .argument('<task>', 'task name')
    .option('--input <json>', 'one input, as JSON', jsonOption)
    .option('--inputs <file>', 'a file of inputs, one JSON document per line')
    .option('--tasks <module>', 'also start a worker for this module in this process (otherwise a running `millrace worker` serves them)')
    .option('--threads <n>', 'worker threads when --tasks is given', intOption(1, 1024))
    .option('--queue <name>', 'task queue', 'tasks')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (task: string, flags: TaskFlags) => {
      const inputs = readInputs(flags);
      const millrace = await createMillrace({ dataDir: flags.dataDir, threads: flags.threads, logLevel: 'warn' });
      // The engine's timers are unref'd; with no worker in this process nothing else would keep it
      // alive while it waits, and Node would end it with exit code 13 and no word.
      const keepAlive = setInterval(() => undefined, 60_000);
      try {
        if (flags.tasks === undefined) process.stderr.write(`no --tasks: waiting for a \`millrace worker\` to take ${inputs.length} task(s) from queue ${flags.queue}\n`);
        const worker = flags.tasks === undefined ? undefined : await millrace.startWorker({ tasks: flags.tasks, queueName: flags.queue });
        const progress = createProgressBar(`running ${task}`);
        const report = await millrace.runTasks(task, inputs, { queueName: flags.queue, onProgress: ({ done, total }) => progress.update(done, total) });
        progress.finish();
        await worker?.stop();
        for (const [index, result] of report.results.entries()) {
          process.stdout.write(`${JSON.stringify(result.ok ? { index, ok: true, output: report.outputs[index] } : { index, ok: false, failure: result.failure })}\n`);
        }
        if (report.failed > 0) process.exitCode = 1;
      } finally {
        clearInterval(keepAlive);
        await millrace.close();
      }
    });
}

function readInputs(flags: TaskFlags): unknown[] {
  if (flags.input !== undefined && flags.inputs !== undefined) throw new InvalidArgumentError('give --input or --inputs, not both');
  if (flags.inputs === undefined) return [flags.input ?? null];
  let text: string;
  try {
    text = readFileSync(flags.inputs, 'utf8');
  } catch (error) {
    throw new MillraceError('INPUT_NOT_FOUND', `cannot read --inputs ${flags.inputs}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { path: flags.inputs });
  }
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  return lines.map((line, index) => {
    try {
      return decodeJson(line);
    } catch (error) {
      throw new InvalidArgumentError(`${flags.inputs} line ${index + 1}: ${(error as Error).message}`);
    }
  });
}
