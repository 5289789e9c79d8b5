/**
 * @module bench/mapreduce-timeline
 * Where a page-hits run's time goes, phase by phase: the `mapreduce`
 * benchmark's millrace row alone (the same engine, input and 32 MiB
 * splits), with each phase's span read back from the process's history
 * (first task scheduled to last task completed) and the CPU used while
 * the clock ran. With `--cpu-prof`, each worker thread writes its own
 * profile next to the main thread's.
 *
 * ```
 * node --max-semi-space-size=64 --import tsx bench/mapreduce-timeline.ts [runs] [--quick]
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pageHits } from '../examples/page-hits/page-hits.js';
import { PAGE_HITS_TASKS } from '../examples/page-hits/run-page-hits.js';
import { uploadFiles } from '../src/mapreduce/upload-files.js';
import { createMillrace } from '../src/runtime/millrace.js';
import { WARM_UP_BYTES, cachedLogs } from './mapreduce.bench.js';
import { cpuSince, describeCpu } from './thread-cpu.js';

const quick = process.argv.includes('--quick');
const runs = Number(process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? 3);
const bytes = quick ? 100e6 : 1e9;
const splitBytes = quick ? 8 * 2 ** 20 : 32 * 2 ** 20;

const dir = mkdtempSync(join(tmpdir(), 'millrace-mapreduce-timeline-'));
const millrace = await createMillrace({ dataDir: dir, threads: availableParallelism(), logLevel: 'warn' });
try {
  await millrace.startWorker({ tasks: PAGE_HITS_TASKS });
  const input = await uploadFiles(millrace.blobs, [await cachedLogs(bytes)]);
  await millrace.runProcess(pageHits.process, { inputs: await uploadFiles(millrace.blobs, [await cachedLogs(WARM_UP_BYTES)]), splitBytes });
  for (let run = 1; run <= runs; run++) {
    const measure = cpuSince();
    const startedAt = Date.now();
    const started = performance.now();
    const view = await millrace.runProcess(pageHits.process, { inputs: input, splitBytes });
    const seconds = (performance.now() - started) / 1000;
    const cpu = measure();
    if (view.status !== 'completed') throw new Error(`page-hits ${view.status}: ${view.failure?.reason ?? ''}`);
    console.log(`run ${run}/${runs}: ${seconds.toFixed(2)} s, ${(bytes / 1e6 / seconds).toFixed(0)} MB/s; ${describeCpu(cpu, seconds)}`);
    for (const [step, span] of phases(await millrace.orchestrator.history(view.processId), startedAt)) {
      console.log(`  ${step.padEnd(9)} ${String(span.tasks).padStart(3)} tasks  ${span.from.toFixed(0).padStart(5)} → ${span.to.toFixed(0).padStart(5)} ms`);
    }
  }
} finally {
  await millrace.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Per step: its tasks, and from its first scheduling to its last completion, in ms after `t0`. */
function phases(history: Array<{ type: string; data: unknown; recordedAt: number }>, t0: number): Map<string, { tasks: number; from: number; to: number }> {
  const spans = new Map<string, { tasks: number; from: number; to: number }>();
  for (const event of history) {
    if (event.type !== 'TaskScheduled' && event.type !== 'TaskCompleted') continue;
    const step = (event.data as { taskId: string }).taskId.split('/')[1]!;
    const span = spans.get(step) ?? { tasks: 0, from: Infinity, to: 0 };
    if (event.type === 'TaskScheduled') span.from = Math.min(span.from, event.recordedAt - t0);
    else {
      span.tasks++;
      span.to = Math.max(span.to, event.recordedAt - t0);
    }
    spans.set(step, span);
  }
  return spans;
}
