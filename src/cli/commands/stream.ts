/**
 * `millrace stream status <stream> --module <file>`: its status, read from
 * the stores (lag per partition, watermarks, late, dead letters, runners).
 *
 * `millrace stream run <stream> --module <file>`: one runner of a stream
 * pipeline. Start it in as many processes (on as many machines, on a
 * cluster store) as you like: the runners share the pipeline's partition
 * tasks through a group row in the checkpoint store, take over the tasks
 * of a runner that dies once its lease runs out, and hand tasks to a
 * runner that joins. SIGTERM or SIGINT stops it after its current steps
 * and hands its tasks on at once. With `--threads N` the process runs N
 * runners on worker threads (one machine's cores, embedded). See
 * docs/streams.md, "What runs where".
 */
import type { Command } from 'commander';
import { createMillrace } from '../../runtime/millrace.js';
import { resolve } from 'node:path';
import { SystemClock } from '../../core/clock.js';
import { StreamStatusReader } from '../../streams/runtime/stream-status.js';
import { startRunnerThreads } from '../../streams/runtime/runner-threads.js';
import { startRunner } from '../../streams/runtime/stream-runner.js';
import { createStreamStore } from '../../streams/runtime/stream-store.js';
import { findPipeline } from './replay.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';

interface RunFlags {
  module: string;
  runner?: string;
  leaseMs?: string;
  threads?: string;
  dataDir?: string;
}

export function registerStream(program: Command): void {
  const command = program.command('stream').description('stream pipelines: run a runner of one, or show one\'s status');
  command
    .command('status')
    .description('a pipeline\'s status from the stores: lag per partition, watermarks, late events, dead letters, runners')
    .argument('<stream>', 'the pipeline\'s name')
    .requiredOption('--module <file>', 'module exporting the pipeline definition (stream(...)…to(...))')
    .option('--json', `${JSON_FLAG_HELP} (indented; without it, one JSON line)`)
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (name: string, flags: { module: string; json?: boolean; dataDir?: string }) => {
      const definition = await findPipeline(flags.module, name);
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        const status = await new StreamStatusReader({ log: millrace.log, checkpoints: millrace.checkpoints, clock: new SystemClock() }).pipeline(definition);
        if (flags.json) printJson(status);
        else process.stdout.write(`${JSON.stringify(status)}\n`);
      } finally {
        await millrace.close();
      }
    });
  command
    .command('run')
    .description('run a stream pipeline\'s partition tasks, shared with every other runner of it')
    .argument('<stream>', 'the pipeline\'s name')
    .requiredOption('--module <file>', 'module exporting the pipeline definition (stream(...)…to(...))')
    .option('--runner <id>', 'this runner\'s id in the group (default: host-pid-random)')
    .option('--lease-ms <ms>', 'how long a dead runner\'s tasks wait before another takes them', '10000')
    .option('--threads <n>', 'run this many runners on worker threads of this process (each with its own store handles)')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (name: string, flags: RunFlags) => {
      const definition = await findPipeline(flags.module, name);
      const leaseMs = Number(flags.leaseMs ?? 10_000);
      // Signals are taken from the start: one that comes while the runners start stops them once they have.
      const stopping = new AbortController();
      const onSignal = (): void => stopping.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const stopOnSignal = (stop: () => Promise<void>): void => {
        if (stopping.signal.aborted) void stop();
        else stopping.signal.addEventListener('abort', () => void stop(), { once: true });
      };
      if (flags.threads !== undefined) {
        const threads = await startRunnerThreads({
          module: resolve(flags.module), stream: name, threads: Number(flags.threads), leaseMs,
          storeModule: new URL(`./stream-store-module${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
          threadData: { ...(flags.dataDir === undefined ? {} : { dataDir: resolve(flags.dataDir) }) },
        });
        stopOnSignal(() => threads.stop());
        process.stdout.write(`${JSON.stringify({ stream: definition.name, runners: threads.runnerIds })}\n`);
        await threads.done;
        process.stdout.write(`${JSON.stringify({ stream: definition.name, runners: threads.runnerIds, restarts: threads.restarts, stopped: true })}\n`);
        return;
      }
      const millrace = await createMillrace({ dataDir: flags.dataDir });
      try {
        const store = createStreamStore(millrace.log, millrace.checkpoints);
        const runner = await startRunner(definition, {
          store, blobs: millrace.blobs, logger: millrace.logger, leaseMs, ...(flags.runner === undefined ? {} : { runnerId: flags.runner }),
        });
        stopOnSignal(() => runner.stop());
        process.stdout.write(`${JSON.stringify({ stream: name, runner: runner.runnerId, tasks: runner.metrics().tasks })}\n`);
        await runner.done;
        process.stdout.write(`${JSON.stringify({ stream: name, runner: runner.runnerId, stopped: true })}\n`);
      } finally {
        await millrace.close();
      }
    });
}
