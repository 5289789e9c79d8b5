/**
 * @module bench/thread-cpu
 * CPU time of the main thread and of the whole process, for the profiling
 * scripts: a run whose main thread is busy most of the time is bound by
 * it; one whose other threads do the work is bound by them (or by waiting).
 */
import { readFileSync } from 'node:fs';

/** User + system time of the whole process (every thread), in ms. */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** User + system time of the main thread, in ms (clock ticks of 10 ms, from `/proc`); NaN where /proc is missing. */
export function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Starts measuring; the returned function gives the main thread's and the process's CPU ms since. */
export function cpuSince(): () => { main: number; all: number } {
  const main = mainThreadCpuMs();
  const all = processCpuMs();
  return () => ({ main: mainThreadCpuMs() - main, all: processCpuMs() - all });
}

/** `main thread CPU … ms (…% of the time), other threads … ms`, or the process's CPU where the main thread's is unknown. */
export function describeCpu({ main, all }: { main: number; all: number }, seconds: number): string {
  return Number.isNaN(main)
    ? `process CPU ${all.toFixed(0)} ms`
    : `main thread CPU ${main.toFixed(0)} ms (${(main / 10 / seconds).toFixed(0)} % of the time), other threads ${(all - main).toFixed(0)} ms`;
}
