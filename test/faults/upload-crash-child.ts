/**
 * The engine process of scenario 7: orchestrator and a worker thread over a
 * data directory, with payloads above the claim-check threshold. Starts the
 * process (once: the id is fixed), prints `finished <view json>` when it
 * ends, then closes. With a crash point it SIGKILLs itself there first
 * (support/crash-after-upload.ts).
 * Usage: node --import tsx upload-crash-child.ts <dataDir> <tasksModuleUrl> <processId> <input json> [after-put|before-append <n>]
 */
import { createMillrace } from '../../src/runtime/millrace.js';
import { claimsDag, type ClaimsInput } from './scenario-processes.js';
import { crashAfterPut, crashBeforeAppend } from './support/crash-after-upload.js';

const [dataDir, tasksModule, processId, json, point, nth] = process.argv.slice(2);
if (dataDir === undefined || tasksModule === undefined || processId === undefined || json === undefined) {
  process.stderr.write('usage: upload-crash-child.ts <dataDir> <tasksModuleUrl> <processId> <input json> [after-put|before-append <n>]\n');
  process.exit(2);
}
const n = Number(nth);
const millrace = await createMillrace({
  dataDir, threads: 1, logLevel: 'warn', claimCheckBytes: 1024,
  wrap: {
    blobs: point === 'after-put' ? (blobs) => crashAfterPut(blobs, n) : undefined,
    events: point === 'before-append' ? (events) => crashBeforeAppend(events, n) : undefined,
  },
});
millrace.orchestrator.register(claimsDag);
await millrace.startOrchestrator();
await millrace.startWorker({ tasks: tasksModule, concurrency: 8 });
process.stdout.write('ready\n');
const known = await millrace.orchestrator.get(processId).catch(() => undefined);
if (known === undefined) await millrace.orchestrator.startProcess(claimsDag.name, JSON.parse(json) as ClaimsInput, { processId });
const view = await millrace.orchestrator.wait(processId);
await millrace.close();
process.stdout.write(`finished ${JSON.stringify({ status: view.status, output: view.output })}\n`);
