/**
 * @module bench/dag-profile
 * Runs of the `dag` benchmark's millrace row, alone, for a profiler:
 * `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/dag-profile.ts [tasks] [runs] [--queued]`
 * (`--queued`: every task through the queue, the `millrace-queued` row).
 * Worker threads write their own profiles next to the main thread's. Later
 * runs show the engine warm (optimised code), as the benchmark's rounds do.
 *
 * Each run also prints the CPU time used while the clock ran: the main
 * thread's (on Linux, from `/proc/self/task/<pid>/stat`) and the other
 * threads' (the process's total less the main thread's), to tell a run
 * bound by the main thread from one bound by waiting.
 */
import { runMillraceDag } from './dag.bench.js';
import { cpuSince, describeCpu } from './thread-cpu.js';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const queued = process.argv.includes('--queued');
const tasks = Number(positional[0] ?? 10_000);
const runs = Number(positional[1] ?? 1);
for (let run = 1; run <= runs; run++) {
  let measure: (() => { main: number; all: number }) | undefined;
  let cpu = { main: NaN, all: NaN };
  const seconds = await runMillraceDag(tasks, { queued, window: {
    start: () => {
      measure = cpuSince();
    },
    stop: () => {
      cpu = measure!();
    },
  } });
  console.log(`millrace${queued ? '-queued' : ''} dag, ${tasks.toLocaleString('en-US')} tasks, run ${run}/${runs}: ${seconds.toFixed(3)} s; ${describeCpu(cpu, seconds)}`);
}
