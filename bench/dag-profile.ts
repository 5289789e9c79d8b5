/**
 * @module bench/dag-profile
 * Runs of the `dag` benchmark's millrace row, alone, for a profiler:
 * `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/dag-profile.ts [tasks] [runs]`.
 * Worker threads write their own profiles next to the main thread's. Later
 * runs show the engine warm (optimised code), as the benchmark's rounds do.
 */
import { runMillraceDag } from './dag.bench.js';

const tasks = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 1);
for (let run = 1; run <= runs; run++) {
  const seconds = await runMillraceDag(tasks);
  console.log(`millrace dag, ${tasks.toLocaleString('en-US')} tasks, run ${run}/${runs}: ${seconds.toFixed(3)} s`);
}
