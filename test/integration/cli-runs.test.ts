/** The CLI running real work: tasks, demos, processes and their status from another invocation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createTempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function millrace(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('millrace CLI: running work', () => {
  it('runs tasks from a module in-process and prints results as JSON lines', () => {
    const dir = createTempDir();
    try {
      const tasks = new URL('../fixtures/tasks.ts', import.meta.url).pathname;
      const result = millrace('task', 'add', '--input', '{"a": 2, "b": 3}', '--tasks', tasks, '--threads', '1', '--data-dir', dir.path);
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout.trim()), { index: 0, ok: true, output: { sum: 5 } });
      const stats = millrace('queue', 'stats', 'tasks', '--data-dir', dir.path);
      assert.equal(stats.status, 0, stats.stderr);
      assert.deepEqual(JSON.parse(stats.stdout), { queue: 'tasks', ready: 0, delayed: 0, inFlight: 0, deadLettered: 0, redelivered: 0 });
    } finally {
      dir.remove();
    }
  });

  it('runs the page-hits demo end to end on generated logs', () => {
    const dir = createTempDir();
    try {
      const result = millrace('demo', '--size', '2', '--threads', '2', '--data-dir', dir.file('demo'));
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /counted [\d,]+ hits on [\d,]+ pages/);
      assert.match(result.stdout, /top pages\n +\d+ {2}\//);
      assert.match(result.stdout, /malformed lines: \d+ \(counted, not fatal\)\n {2}first, at byte [\d,]+ of \S+: [^:\n]+: ".*"\n/);
      assert.match(result.stdout, /result: .*page-hits\.csv/);
    } finally {
      dir.remove();
    }
  });

  it('runs the word-count demo end to end and checks its own answer', () => {
    const dir = createTempDir();
    try {
      const result = millrace('demo', '--word-count', '--documents', '12', '--words', '200', '--split', '4', '--threads', '2', '--data-dir', dir.file('demo'));
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /words counted {6}2400 \(checked against the corpus: exact\)/);
      assert.match(result.stdout, /12 in 3 map tasks/);
    } finally {
      dir.remove();
    }
  });
});

describe('millrace run / status / history / cancel', () => {
  it('runs a process from a module, then shows its status and history from another invocation', () => {
    const dir = createTempDir();
    try {
      const module = new URL('../fixtures/process-module.ts', import.meta.url).pathname;
      const run = millrace('run', module, '--input-json', '{"n": 3}', '--threads', '1', '--data-dir', dir.path, '--quiet');
      assert.equal(run.status, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { processId: string; status: string; output: number };
      assert.deepEqual([result.status, result.output], ['completed', 1 + 4 + 9 + 3]);

      const status = millrace('status', result.processId, '--data-dir', dir.path);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /squares v1 {2}completed/);
      assert.match(status.stdout, /squared +3\/3 +100%/);

      const history = millrace('history', result.processId, '--data-dir', dir.path);
      assert.equal(history.status, 0, history.stderr);
      assert.match(history.stdout, /ProcessStarted +squares v1/);
      assert.match(history.stdout, /ProcessCompleted/);

      const list = millrace('status', '--data-dir', dir.path);
      assert.match(list.stdout, new RegExp(`${result.processId} +squares v1 +completed`));

      const cancel = millrace('cancel', result.processId, '--data-dir', dir.path);
      assert.match(cancel.stdout, /was not running; nothing to cancel/);
    } finally {
      dir.remove();
    }
  });

  it('runs page-hits from the CLI: generated logs in, page-hits.csv out', () => {
    const dir = createTempDir();
    try {
      const logs = dir.file('access.log');
      const generated = millrace('example', 'logs', '--size', '1MB', '--out', logs);
      assert.equal(generated.status, 0, generated.stderr);
      const example = new URL('../../examples/page-hits', import.meta.url).pathname;
      const run = millrace('run', example, '--input', logs, '--out', dir.file('out'), '--threads', '2', '--data-dir', dir.file('state'), '--quiet');
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /wrote .*out\/page-hits\.csv/);
      const csv = readFileSync(dir.file('out/page-hits.csv'), 'utf8').split('\n');
      assert.equal(csv[0], 'page,count');
      const counts = csv.slice(1).filter(Boolean).map((line) => Number(line.slice(line.lastIndexOf(',') + 1)));
      assert.ok(counts.length > 10 && counts.every((c, i) => i === 0 || c <= counts[i - 1]!), 'count descending');
      assert.equal(millrace('example', 'logs', '--size', 'lots', '--out', logs).status, 2);
    } finally {
      dir.remove();
    }
  });

  it('names a missing module, an unknown process and an unknown id', () => {
    assert.match(millrace('run', 'no/such/module.ts').stderr, /CONFIG_INVALID: no such file or folder: no\/such\/module.ts/);
    const module = new URL('../fixtures/process-module.ts', import.meta.url).pathname;
    assert.match(millrace('run', module, '--process', 'nope').stderr, /PROCESS_DEFINITION_UNKNOWN: .*defines no process named "nope" \(it defines: squares v1\)/);
    const dir = createTempDir();
    try {
      const status = millrace('status', 'no-such-id', '--data-dir', dir.path);
      assert.equal(status.status, 1);
      assert.match(status.stderr, /PROCESS_NOT_FOUND: no process with id no-such-id/);
    } finally {
      dir.remove();
    }
  });
});
