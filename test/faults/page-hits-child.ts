/**
 * The engine as a fault test kills it: runs (or resumes) one page-hits
 * process with a fixed id on an embedded data directory, writes the CSV,
 * prints "done". Killed at any moment, then started again, it must finish
 * the same process with the same result. Prints "running", then
 * "completed <n>" each time a task of the process completes (n counts the
 * whole history, earlier runs included), and "done tasks=<n>" at the end,
 * so the test can aim its kills at points of the work, not of the clock.
 * Usage: node --import tsx page-hits-child.ts <dataDir> <logs> <processId> <outCsv>
 */
import { writeFileSync } from 'node:fs';
import { hasCode } from '../../src/core/errors.js';
import { createMillrace } from '../../src/runtime/millrace.js';
import { uploadFiles } from '../../src/mapreduce/upload-files.js';
import { PAGE_HITS_TASKS, pageHits, type PageHitsSummary } from '../../examples/page-hits/index.js';
import type { MapReduceResult } from '../../src/mapreduce/map-reduce-types.js';

const [dataDir, logs, processId, outCsv] = process.argv.slice(2) as [string, string, string, string];
const millrace = await createMillrace({ dataDir, threads: 2, logLevel: 'silent' });
await millrace.startWorker({ tasks: PAGE_HITS_TASKS });
millrace.orchestrator.register(pageHits.process);
await millrace.startOrchestrator();
try {
  await millrace.orchestrator.get(processId);
} catch (error) {
  if (!hasCode(error, 'PROCESS_NOT_FOUND')) throw error;
  const inputs = await uploadFiles(millrace.blobs, [logs], { prefix: 'inputs/fault' });
  await millrace.orchestrator.startProcess(pageHits.process.name, { inputs, splitBytes: 256 * 1024 }, { processId });
}
const completedSoFar = (await millrace.orchestrator.get(processId)).steps.reduce((sum, step) => sum + step.completed, 0);
let completed = completedSoFar;
millrace.orchestrator.index.events.on('task', (task: { outcome: string }) => {
  if (task.outcome === 'completed') process.stdout.write(`completed ${++completed}\n`);
});
process.stdout.write(`running\ncompleted ${completed}\n`);
const view = await millrace.orchestrator.wait(processId);
if (view.status !== 'completed') throw new Error(`process ${view.status}: ${view.failure?.reason}`);
const result = view.output as MapReduceResult<PageHitsSummary>;
writeFileSync(outCsv, await millrace.blobs.get(result.result!.csv));
await millrace.close();
process.stdout.write(`done tasks=${view.steps.reduce((sum, step) => sum + step.tasks, 0)}\n`);
