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
import { readFileSync } from 'node:fs';
import { runMillraceDag } from './dag.bench.js';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const queued = process.argv.includes('--queued');
const tasks = Number(positional[0] ?? 10_000);
const runs = Number(positional[1] ?? 1);
for (let run = 1; run <= runs; run++) {
  let main = 0;
  let all = 0;
  const seconds = await runMillraceDag(tasks, { queued, window: {
    start: () => {
      main = -mainThreadCpuMs();
      all = -processCpuMs();
    },
    stop: () => {
      main += mainThreadCpuMs();
      all += processCpuMs();
    },
  } });
  const cpu = Number.isNaN(main) ? `process CPU ${all.toFixed(0)} ms` : `main thread CPU ${main.toFixed(0)} ms (${(main / 10 / seconds).toFixed(0)} % of the time), other threads ${(all - main).toFixed(0)} ms`;
  console.log(`millrace${queued ? '-queued' : ''} dag, ${tasks.toLocaleString('en-US')} tasks, run ${run}/${runs}: ${seconds.toFixed(3)} s; ${cpu}`);
}

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** User + system time of the main thread, in ms (clock ticks of 10 ms); NaN where /proc is missing. */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
