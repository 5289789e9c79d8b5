/**
 * @module cli/process-progress
 * Live progress of a running process: one line per step with done/total,
 * rate and ETA. In a terminal each step is a `cli-progress` bar in one
 * block redrawn in place; otherwise (logs, CI) a plain line per step is
 * printed when it moves by 10% or changes state.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { ProcessView, StepView } from '../jobs/process-view.js';

export interface ProcessProgress {
  update(view: ProcessView): void;
  finish(view: ProcessView): void;
}

export function createProcessProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProcessProgress {
  return stream.isTTY === true ? terminalBars(stream, now) : plainLines(stream, now);
}

/** One bar per step; the text after the bar is {@link describeStep}'s, so a terminal and a log say the same. */
function terminalBars(stream: NodeJS.WriteStream, now: () => number): ProcessProgress {
  const block = new MultiBar({ stream, format: '{step} [{bar}] {line}', barsize: 20, barCompleteChar: '█', barIncompleteChar: '░', hideCursor: true, fps: 10, autopadding: false });
  const bars = new Map<string, SingleBar>();
  const draw = (view: ProcessView): void => {
    for (const step of view.steps) {
      const payload = { step: step.name.padEnd(14), line: describeStep(step, now()).slice(15) };
      const total = Math.max(1, step.tasks);
      const bar = bars.get(step.name);
      if (bar === undefined) bars.set(step.name, block.create(total, step.completed, payload));
      else {
        bar.setTotal(total);
        bar.update(step.completed, payload);
      }
    }
  };
  return {
    update: draw,
    finish: (view) => {
      draw(view);
      block.stop();
    },
  };
}

function plainLines(stream: NodeJS.WriteStream, now: () => number): ProcessProgress {
  const lastPrinted = new Map<string, string>();
  const draw = (view: ProcessView): void => {
    for (const step of view.steps) {
      const key = `${step.status}:${step.tasks === 0 ? 0 : Math.floor((step.completed / step.tasks) * 10)}`;
      if (lastPrinted.get(step.name) === key || step.status === 'pending') continue;
      lastPrinted.set(step.name, key);
      stream.write(`${describeStep(step, now())}\n`);
    }
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
