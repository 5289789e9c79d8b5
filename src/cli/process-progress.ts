/**
 * @module cli/process-progress
 * Live progress of a running process: one line per step with done/total,
 * rate and ETA. In a terminal the block redraws in place; otherwise (logs,
 * CI) a line per step is printed when it moves by 10% or changes state.
 */
import type { ProcessView, StepView } from '../jobs/process-view.js';

export interface ProcessProgress {
  update(view: ProcessView): void;
  finish(view: ProcessView): void;
}

export function createProcessProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProcessProgress {
  let drawn = 0;
  const lastPrinted = new Map<string, string>();
  const draw = (view: ProcessView): void => {
    const lines = view.steps.map((step) => describeStep(step, now()));
    if (stream.isTTY) {
      if (drawn > 0) stream.write(`\x1b[${drawn}A`);
      for (const line of lines) stream.write(`\x1b[2K${line}\n`);
      drawn = lines.length;
      return;
    }
    view.steps.forEach((step, i) => {
      const key = `${step.status}:${step.tasks === 0 ? 0 : Math.floor((step.completed / step.tasks) * 10)}`;
      if (lastPrinted.get(step.name) === key || step.status === 'pending') return;
      lastPrinted.set(step.name, key);
      stream.write(`${lines[i]}\n`);
    });
  };
  return { update: draw, finish: draw };
}

/** `map        120/400  30%   52.1/s  ETA 5s   (3 retries)` */
export function describeStep(step: StepView, now: number): string {
  const name = step.name.padEnd(14);
  if (step.status === 'pending') return `${name} waiting`;
  if (step.status === 'skipped') return `${name} skipped`;
  const done = `${step.completed}/${step.tasks}`.padStart(11);
  const percent = `${step.tasks === 0 ? 100 : Math.floor((step.completed / step.tasks) * 100)}%`.padStart(5);
  const elapsed = Math.max(1, (step.finishedAt ?? now) - (step.startedAt ?? now)) / 1000;
  const rate = step.completed / elapsed;
  const eta = step.status === 'completed' ? `done in ${formatSeconds(elapsed)}` : rate > 0 ? `ETA ${formatSeconds((step.tasks - step.completed) / rate)}` : 'ETA ?';
  const extra = [step.retries > 0 ? `${step.retries} retr${step.retries === 1 ? 'y' : 'ies'}` : '', step.failed > 0 ? `${step.failed} failing` : ''].filter(Boolean).join(', ');
  return `${name} ${done} ${percent} ${`${rate.toFixed(1)}/s`.padStart(9)}  ${eta}${extra ? `  (${extra})` : ''}`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${Math.round(seconds % 60)}s` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
