/**
 * An embedded engine process for scenario 8: orchestrator and worker
 * threads over a data directory, driven by lines on stdin, until killed.
 *   start <processId> <json input>   starts a fault-effects process (if new)
 *   snapshot <processId>             prints `snapshot <json>`: the process state the orchestrator holds in memory
 * Prints "ready" once it has caught up with the history and takes results.
 * Usage: node --import tsx orchestrator-child.ts <dataDir> <tasksModuleUrl>
 */
import { createInterface } from 'node:readline';
import { createMillrace } from '../../src/runtime/millrace.js';
import type { ProcessManager } from '../../src/jobs/process-manager.js';
import { effectsDag } from './scenario-processes.js';
import { serialiseState } from './harness/process-snapshot.js';

const [dataDir, tasksModule] = process.argv.slice(2);
if (dataDir === undefined || tasksModule === undefined) {
  process.stderr.write('usage: orchestrator-child.ts <dataDir> <tasksModuleUrl>\n');
  process.exit(2);
}
const millrace = await createMillrace({ dataDir, threads: 1, logLevel: 'warn' });
millrace.orchestrator.register(effectsDag);
await millrace.startOrchestrator();
await millrace.startWorker({ tasks: tasksModule, concurrency: 16 });
// The in-memory state is what the scenario compares with a rebuild; it is private to the orchestrator, so reached past the types here.
const manager = (millrace.orchestrator as unknown as { manager: ProcessManager }).manager;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, processId = '', json = '{}'] = line.split(' ');
  void (async () => {
    if (command === 'start') {
      if ((await manager.state(processId)) === undefined) await millrace.orchestrator.startProcess(effectsDag.name, JSON.parse(json), { processId });
      process.stdout.write('started\n');
    } else if (command === 'snapshot') {
      process.stdout.write(`snapshot ${JSON.stringify(serialiseState(await manager.state(processId)))}\n`);
    }
  })().catch((error: unknown) => process.stdout.write(`error ${String(error)}\n`));
});
process.stdout.write('ready\n');
