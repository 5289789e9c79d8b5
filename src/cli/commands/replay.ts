/**
 * `millrace replay <stream> --module <file>`: runs a stream pipeline over
 * the history of its source topic into outputs of its own
 * (`<sink>.replay.<label>`), then prints where they are (Kappa: the log
 * is the source of truth). See docs/streams.md, "Replay".
 */
import type { Command } from 'commander';
import { MillraceError } from '../../core/errors.js';
import { createMillrace } from '../../runtime/millrace.js';
import { isPipelineDefinition, type PipelineDefinition } from '../../streams/runtime/pipeline.js';
import { parseReplayBound, replayPipeline } from '../../streams/runtime/replay.js';
import { createStreamStore } from '../../streams/runtime/stream-store.js';
import { loadUserModule } from '../module-loader.js';

interface ReplayFlags {
  module: string;
  from?: string;
  to?: string;
  as?: string;
  dataDir?: string;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('run a stream pipeline over the history of its log into separate outputs')
    .argument('<stream>', 'the pipeline\'s name')
    .requiredOption('--module <file>', 'module exporting the pipeline definition (stream(...)…to(...))')
    .option('--from <bound>', 'start: an offset (every source partition), an ISO date, or time:<ms>; default the beginning')
    .option('--to <bound>', 'end (exclusive), like --from; default the end of the log now')
    .option('--as <label>', 'names the outputs (<sink>.replay.<label>); default from the bounds')
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (name: string, flags: ReplayFlags) => {
      const definition = await findPipeline(flags.module, name);
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        const store = createStreamStore(millrace.log, millrace.checkpoints);
        if (!store.atomic) process.stderr.write('note: this store cannot commit output and checkpoints together; an interrupted replay may repeat output records (same ids)\n');
        const replay = await replayPipeline(definition, {
          store, blobs: millrace.blobs,
          ...(flags.from === undefined ? {} : { from: parseReplayBound(flags.from) }),
          ...(flags.to === undefined ? {} : { to: parseReplayBound(flags.to) }),
          ...(flags.as === undefined ? {} : { label: flags.as }),
        });
        await replay.done;
        const metrics = await replay.metrics();
        const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
        process.stdout.write(`${JSON.stringify({
          stream: name, runId: replay.runId, outputs: Object.fromEntries(replay.outputs),
          records: sum(metrics.mappers.map((m) => m.records)), events: sum(metrics.mappers.map((m) => m.elements)),
          outOfRange: sum(metrics.mappers.map((m) => m.outOfRange)), deadLetters: sum(metrics.mappers.map((m) => m.deadLetters)) + sum(metrics.windows.map((w) => w.deadLetters)),
          late: sum(metrics.windows.map((w) => w.late)), results: sum(metrics.windows.map((w) => w.finalResults + w.updateResults + w.earlyResults)),
        })}\n`);
      } finally {
        await millrace.close();
      }
    });
}

/** The pipeline named `name` among the exports of `modulePath`. */
export async function findPipeline(modulePath: string, name: string): Promise<PipelineDefinition> {
  const loaded = await loadUserModule(modulePath);
  const exports = (await import(loaded.url.href)) as Record<string, unknown>;
  const pipelines = Object.values(exports).filter(isPipelineDefinition);
  const found = pipelines.find((pipeline) => pipeline.name === name);
  if (found !== undefined) return found;
  const known = pipelines.map((pipeline) => pipeline.name).join(', ') || 'none';
  throw new MillraceError('CONFIG_INVALID', `${loaded.url.pathname} exports no stream pipeline named "${name}" (it exports: ${known})`, { stream: name });
}
