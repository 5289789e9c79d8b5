/**
 * A worker process for fault tests: serves a task module from an embedded
 * data directory until it is killed. Prints "ready" once consuming.
 * Usage: node --import tsx worker-child.ts <dataDir> <tasksModuleUrl> [concurrency]
 */
import { createMillrace } from '../../src/runtime/millrace.js';

const [dataDir, tasksModule, concurrency = '32'] = process.argv.slice(2);
if (dataDir === undefined || tasksModule === undefined) {
  process.stderr.write('usage: worker-child.ts <dataDir> <tasksModuleUrl> [concurrency]\n');
  process.exit(2);
}
const millrace = await createMillrace({ dataDir, threads: 2, logLevel: 'warn' });
await millrace.startWorker({ tasks: tasksModule, concurrency: Number(concurrency), leaseMs: 10_000 });
process.stdout.write('ready\n');
// Stays alive on the worker's timers and thread handles until killed.
setInterval(() => undefined, 60_000);
