/**
 * @module cli/progress
 * A one-line progress bar on standard error for long work; silent when
 * standard error is not a terminal (logs and CI stay clean), where it
 * prints at most one line per 10%.
 */
export interface ProgressBar {
  update(done: number, total: number, note?: string): void;
  finish(): void;
}

export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  let lastDecile = -1;
  let lastDraw = 0;
  return {
    update(done, total, note = '') {
      const fraction = total === 0 ? 1 : done / total;
      if (stream.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 50 && done < total) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round(fraction * width);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${note}`.padEnd(90));
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile === lastDecile) return;
      lastDecile = decile;
      stream.write(`${label}: ${done}/${total} ${note}\n`);
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}
