/**
 * @module bench/dag-profile
 * One run of the `dag` benchmark's millrace row, alone, for a profiler:
 * `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/dag-profile.ts [tasks]`.
 * Worker threads write their own profiles next to the main thread's.
 */
import { runMillraceDag } from './dag.bench.js';

const tasks = Number(process.argv[2] ?? 10_000);
const seconds = await runMillraceDag(tasks);
console.log(`millrace dag, ${tasks.toLocaleString('en-US')} tasks: ${seconds.toFixed(3)} s`);
