/**
 * @module cli/progress
 * A progress bar on standard error for long work. In a terminal it is a
 * `cli-progress` bar redrawn in place (with rate and ETA); otherwise (logs,
 * CI, a pipe) it prints a plain line at most once per 10%:
 * `label: done/total note`.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressBar {
  update(done: number, total: number, note?: string): void;
  finish(): void;
}

export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  return stream.isTTY === true ? terminalBar(label, stream) : plainLines(label, stream);
}

function terminalBar(label: string, stream: NodeJS.WriteStream): ProgressBar {
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% {value}/{total} {note} · ETA {eta_formatted}`,
    barsize: 30,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    fps: 10,
    etaBuffer: 50,
  });
  let started = false;
  return {
    update(done, total, note = '') {
      if (!started) {
        bar.start(total, done, { note });
        started = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done, { note });
    },
    finish() {
      if (started) bar.stop();
    },
  };
}

function plainLines(label: string, stream: NodeJS.WriteStream): ProgressBar {
  let lastDecile = -1;
  return {
    update(done, total, note = '') {
      const decile = Math.floor((total === 0 ? 1 : done / total) * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${label}: ${done}/${total}${note === '' ? '' : ` ${note}`}\n`);
    },
    finish() {},
  };
}
