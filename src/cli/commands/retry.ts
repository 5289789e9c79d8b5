/**
 * `millrace retry <processId> <taskId>`: runs again the task that failed a
 * process, once its cause is fixed (a new handler deployed, the data
 * repaired). The process runs again; the server running it schedules the
 * task. Works from any shell: the retry is decided from the history alone.
 */
import type { Command } from 'commander';
import { createMillrace } from '../../runtime/millrace.js';

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('retry the task that failed a process; the process runs again')
    .argument('<processId>', 'process id')
    .argument('<taskId>', 'task id (<processId>/<step>/<index>, as `millrace status` and the failure show), or <step>/<index>')
    .option('--data-dir <dir>', 'embedded state directory')
    .action(async (processId: string, taskId: string, flags: { dataDir?: string }) => {
      const millrace = await createMillrace({ dataDir: flags.dataDir, logLevel: 'warn' });
      try {
        const fullId = taskId.startsWith(`${processId}/`) ? taskId : `${processId}/${taskId}`;
        const { attempt } = await millrace.orchestrator.retryTask(processId, fullId);
        process.stdout.write(`retrying ${fullId} (attempt ${attempt}); ${processId} is running again\n`);
      } finally {
        await millrace.close();
      }
    });
}
