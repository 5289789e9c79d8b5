/** Progress output: a redrawn bar in a terminal, today's plain lines anywhere else (logs and tests read those). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { createProcessProgress } from '../../../src/cli/process-progress.js';
import { createProgressBar } from '../../../src/cli/progress.js';
import type { ProcessView, StepView } from '../../../src/jobs/process-view.js';

/** A stream that keeps what is written, posing as a terminal or not. */
function capture(tty: boolean): NodeJS.WriteStream & { text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text(): string };
  Object.assign(stream, { isTTY: tty, columns: 160, text: () => text });
  return stream;
}

/** Without terminal escapes (cursor moves, clears). */
const strip = (text: string): string => stripVTControlCharacters(text);

function view(steps: Array<Partial<StepView> & { name: string }>): ProcessView {
  return {
    processId: 'p1', definition: 'd', version: 1, status: 'running', startedAt: 0,
    steps: steps.map((s) => ({ task: s.name, after: [], status: 'running', tasks: 4, completed: 0, failed: 0, retries: 0, startedAt: 0, ...s })),
  };
}

describe('createProgressBar', () => {
  it('prints a plain line per 10% when the stream is not a terminal', () => {
    const out = capture(false);
    const bar = createProgressBar('import', out);
    for (let done = 0; done <= 100; done += 5) bar.update(done, 100, 'bytes');
    bar.finish();
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 11);
    assert.equal(lines[0], 'import: 0/100 bytes');
    assert.equal(lines.at(-1), 'import: 100/100 bytes');
  });

  it('draws a bar with percentage and counts in a terminal', () => {
    const out = capture(true);
    const bar = createProgressBar('import', out);
    bar.update(10, 200, 'bytes');
    bar.update(200, 200, 'bytes');
    bar.finish();
    const text = strip(out.text());
    assert.match(text, /import \[[█░]+\] 100% 200\/200 bytes/);
    assert.doesNotMatch(out.text(), /^import: /m, 'no plain lines in a terminal');
  });
});

describe('createProcessProgress', () => {
  it('prints a plain line per step when it moves by 10% or changes state, none for a waiting step', () => {
    const out = capture(false);
    const progress = createProcessProgress(out, () => 2000);
    progress.update(view([{ name: 'map', completed: 1 }, { name: 'reduce', status: 'pending' }]));
    progress.update(view([{ name: 'map', completed: 1 }, { name: 'reduce', status: 'pending' }]));
    progress.finish(view([{ name: 'map', status: 'completed', completed: 4, finishedAt: 2000 }, { name: 'reduce', status: 'completed', completed: 4, finishedAt: 2000 }]));
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^map\s+1\/4\s+25%/);
    assert.match(lines[1]!, /^map\s+4\/4\s+100%.*done in 2\.0s/);
    assert.match(lines[2]!, /^reduce\s+4\/4\s+100%/);
  });

  it('draws one bar per step in a terminal, ending at every step done', () => {
    const out = capture(true);
    const progress = createProcessProgress(out, () => 2000);
    progress.update(view([{ name: 'map', completed: 1 }, { name: 'reduce', status: 'pending' }]));
    progress.finish(view([{ name: 'map', status: 'completed', completed: 4, finishedAt: 2000 }, { name: 'reduce', status: 'completed', completed: 4, finishedAt: 2000 }]));
    const text = strip(out.text());
    assert.match(text, /map\s+\[█+\]\s+4\/4\s+100%/);
    assert.match(text, /reduce\s+\[█+\]\s+4\/4\s+100%/);
  });
});
