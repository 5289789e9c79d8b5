/**
 * `millrace run <module>`: run a process from a module, with live progress.
 * Embedded, this process runs it all (orchestrator and worker threads). On
 * a shared store (MILLRACE_STORE set) it only submits the process and
 * follows it: the deployment's `millrace server` runs it and its
 * `millrace worker`s run the tasks, so no second orchestrator competes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { MillraceError } from '../../core/errors.js';
import { uploadFiles } from '../../mapreduce/upload-files.js';
import type { BlobRef } from '../../ports/blob-store.js';
import { isSharedStore } from '../../runtime/backends.js';
import { createMillrace, type Millrace } from '../../runtime/millrace.js';
import { loadUserModule, pickProcess } from '../module-loader.js';
import { intOption, jsonOption } from '../parse.js';
import { createProcessProgress } from '../process-progress.js';
import { errorLine } from '../error-line.js';
import { createProgressBar, type ProgressBar } from '../progress.js';

interface RunFlags {
  process?: string;
  version?: number;
  input?: string[];
  inputJson?: unknown;
  out?: string;
  threads?: number;
  dataDir?: string;
  quiet?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a process defined in a module (file or folder) with live progress: embedded, or submitted to the cluster')
    .argument('<module>', 'module exporting defineProcess/defineMapReduce results and their tasks, e.g. examples/page-hits')
    .option('--process <name>', 'which process, when the module defines several')
    .option('--version <n>', 'which version (default: the latest)', intOption(1, 1_000_000))
    .option('--input <file...>', 'input files: uploaded to the blob store and passed as { inputs: [BlobRef…] } (the MapReduce input)')
    .option('--input-json <json>', 'the process input as JSON (merged with { inputs } when --input is given)', jsonOption)
    .option('--out <dir>', 'write every blob the output refers to into this folder')
    .option('--threads <n>', 'worker threads, embedded (default: cores)', intOption(1, 1024))
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .option('--quiet', 'no progress display')
    .action(async (modulePath: string, flags: RunFlags) => {
      const loaded = await loadUserModule(modulePath);
      const definition = pickProcess(loaded, flags.process, flags.version);
      if (flags.out !== undefined) prepareOutFolder(flags.out);
      const millrace = await createMillrace({ dataDir: flags.dataDir, threads: flags.threads, logLevel: 'warn' });
      try {
        const input = await buildInput(millrace, flags);
        millrace.orchestrator.register(definition);
        const submitOnly = isSharedStore(millrace.backends);
        if (submitOnly) {
          process.stderr.write(`submitting to the cluster (${millrace.describeBackends}); a \`millrace server\` with this module runs it\n`);
        } else {
          await millrace.startWorker({ tasks: loaded.url });
          await millrace.startOrchestrator();
        }
        const processId = await millrace.orchestrator.startProcess(definition.name, input, { version: definition.version });
        process.stderr.write(`process ${processId} (${definition.name} v${definition.version}) started; follow it with \`millrace status ${processId}\`\n`);
        const progress = flags.quiet ? undefined : createProcessProgress();
        const ticker = setInterval(() => void millrace.orchestrator.get(processId).then((view) => progress?.update(view)), 250);
        const view = await millrace.orchestrator.wait(processId).finally(() => clearInterval(ticker));
        progress?.finish(view);
        if (view.status !== 'completed') {
          process.stderr.write(`process ${processId} ${view.status}: ${view.failure?.reason ?? view.cancelReason ?? ''}\n`);
          process.exitCode = 1;
          return;
        }
        if (flags.out !== undefined) {
          for (const file of await writeOutputs(millrace, view.output, flags.out)) process.stdout.write(`wrote ${file}\n`);
        }
        process.stdout.write(`${JSON.stringify({ processId, status: view.status, output: view.output }, null, 2)}\n`);
      } finally {
        await millrace.close();
      }
    });
}

async function buildInput(millrace: Millrace, flags: RunFlags): Promise<unknown> {
  if (flags.input === undefined) return flags.inputJson ?? null;
  if (flags.inputJson !== undefined && (typeof flags.inputJson !== 'object' || flags.inputJson === null || Array.isArray(flags.inputJson))) {
    throw new InvalidArgumentError('--input-json must be a JSON object when --input files are given');
  }
  const files = flags.input.length === 1 ? 'the input' : `${flags.input.length} inputs`;
  let bar: ProgressBar | undefined;
  // Every file is checked before any is read; then a bar in megabytes, for inputs that take a moment.
  const inputs = await uploadFiles(millrace.blobs, flags.input, {
    onProgress: (uploaded, total) => {
      if (flags.quiet === true || total < UPLOAD_BAR_BYTES) return;
      bar ??= createProgressBar(`uploading ${files} to the blob store (MB)`);
      bar.update(Math.round(uploaded / 1e6), Math.round(total / 1e6));
    },
  });
  bar?.finish();
  return { ...(flags.inputJson as object | undefined), inputs };
}

/** Inputs smaller than this go in without a progress bar: they take a fraction of a second. */
const UPLOAD_BAR_BYTES = 64 * 2 ** 20;

/** Makes the `--out` folder before the run, so that a path that cannot be one fails now, not after the job. */
function prepareOutFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new MillraceError('CONFIG_INVALID', `--out ${dir} cannot be the output folder: ${errorLine(error)}`, { path: dir });
  }
}

/** Writes each blob referenced anywhere in the output to `dir` (made by {@link prepareOutFolder}), named after the last segment of its key. */
async function writeOutputs(millrace: Millrace, output: unknown, dir: string): Promise<string[]> {
  const refs: BlobRef[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isBlobRef(value)) refs.push(value);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(visit);
  };
  visit(output);
  if (refs.length === 0) throw new MillraceError('CONFIG_INVALID', '--out was given but the process output refers to no blob');
  const written: string[] = [];
  for (const ref of refs) {
    const target = join(dir, ref.key.split('/').pop()!);
    writeFileSync(target, await millrace.blobs.get(ref));
    written.push(target);
  }
  return written;
}

function isBlobRef(value: unknown): value is BlobRef {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.store === 'string' && typeof v.key === 'string' && typeof v.size === 'number' && typeof v.sha256 === 'string';
}
