/** `millrace status | cancel | history`: look at and steer processes from any shell. */
import type { Command } from 'commander';
import { createMillrace, type Millrace } from '../../runtime/millrace.js';
import type { ProcessView } from '../../jobs/process-view.js';
import { describeStep } from '../process-progress.js';
import { intOption } from '../parse.js';
import { JSON_FLAG_HELP, printJson } from '../json-output.js';

/**
 * Opens the engine as a client: the orchestrator is not started, so looking
 * at a process never runs it (a server, or the `millrace run` that started
 * it, does), and no second orchestrator competes for results.
 */
async function withOrchestrator<T>(dataDir: string | undefined, work: (m: Millrace) => Promise<T>): Promise<T> {
  const millrace = await createMillrace({ dataDir, logLevel: 'warn' });
  try {
    return await work(millrace);
  } finally {
    await millrace.close();
  }
}

export function registerProcessCommands(program: Command): void {
  program
    .command('status')
    .description('show a process (steps, progress, outcome), or list recent processes')
    .argument('[id]', 'process id; omit to list')
    .option('--json', JSON_FLAG_HELP)
    .option('--limit <n>', 'processes to list', intOption(1, 10_000), 20)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (id: string | undefined, flags: { json?: boolean; limit: number; dataDir?: string }) =>
      withOrchestrator(flags.dataDir, async (m) => {
        if (id === undefined) {
          await m.orchestrator.refreshIndex();
          const list = m.orchestrator.list({ limit: flags.limit });
          if (flags.json) printJson(list);
          else for (const p of list) process.stdout.write(`${p.processId}  ${p.definition} v${p.version}  ${p.status.padEnd(9)}  ${new Date(p.startedAt).toISOString()}\n`);
          return;
        }
        const view = await m.orchestrator.get(id);
        if (flags.json) printJson(view);
        else process.stdout.write(renderView(view));
      }));

  program
    .command('cancel')
    .description('cancel a running process: running tasks are aborted, nothing more is scheduled')
    .argument('<id>', 'process id')
    .option('--reason <text>', 'recorded in the history', 'cancelled from the command line')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (id: string, flags: { reason: string; dataDir?: string }) =>
      withOrchestrator(flags.dataDir, async (m) => {
        const cancelled = await m.orchestrator.cancel(id, flags.reason);
        process.stdout.write(cancelled ? `cancelled ${id}\n` : `${id} was not running; nothing to cancel\n`);
      }));

  program
    .command('history')
    .description("print a process's events, oldest first")
    .argument('<id>', 'process id')
    .option('--json', `${JSON_FLAG_HELP}: the stored events, oldest first`)
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (id: string, flags: { json?: boolean; dataDir?: string }) =>
      withOrchestrator(flags.dataDir, async (m) => {
        const events = await m.orchestrator.history(id);
        if (flags.json) {
          printJson(events);
          return;
        }
        for (const event of events) {
          const data = event.data as Record<string, unknown>;
          const at = (data.startedAt ?? data.scheduledAt ?? data.completedAt ?? data.failedAt ?? data.timedOutAt ?? data.retriedAt ?? data.skippedAt ?? data.cancelledAt ?? event.recordedAt) as number;
          process.stdout.write(`${String(event.version).padStart(5)}  ${new Date(at).toISOString()}  ${event.type.padEnd(16)} ${summarise(event.type, data)}\n`);
        }
      }));
}

function summarise(type: string, data: Record<string, unknown>): string {
  switch (type) {
    case 'ProcessStarted': return `${String(data.definition)} v${String(data.version)}`;
    case 'StepStarted': return `${String(data.step)}: ${String(data.tasks)} task(s)`;
    case 'StepSkipped': return `${String(data.step)}: ${String(data.reason)}`;
    case 'TaskScheduled': return `${String(data.taskId)} attempt ${String(data.attempt)} (${String(data.task)})`;
    case 'TaskCompleted': return `${String(data.taskId)} attempt ${String(data.attempt)}`;
    case 'TaskFailed': return `${String(data.taskId)} attempt ${String(data.attempt)}: ${String((data.failure as { message?: string })?.message)}`;
    case 'TaskTimedOut': return `${String(data.taskId)} attempt ${String(data.attempt)} (${String(data.by)})`;
    case 'TaskRetried': return `${String(data.taskId)} → attempt ${String(data.attempt)} in ${String(data.delayMs)} ms`;
    case 'ProcessFailed': case 'ProcessCancelled': return String(data.reason);
    default: return '';
  }
}

function renderView(view: ProcessView): string {
  const lines = [
    `${view.processId}  ${view.definition} v${view.version}  ${view.status}`,
    `started ${new Date(view.startedAt).toISOString()}${view.finishedAt ? `, finished ${new Date(view.finishedAt).toISOString()} (${((view.finishedAt - view.startedAt) / 1000).toFixed(1)} s)` : ''}`,
    '',
    ...view.steps.map((step) => `  ${describeStep(step, Date.now())}`),
  ];
  if (view.failure) lines.push('', `failed: ${view.failure.reason}`);
  if (view.cancelReason) lines.push('', `cancelled: ${view.cancelReason}`);
  if (view.status === 'completed') lines.push('', `output: ${JSON.stringify(view.output).slice(0, 2000)}`);
  return `${lines.join('\n')}\n`;
}
