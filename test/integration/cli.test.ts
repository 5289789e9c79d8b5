/** The CLI contract: help everywhere, usage errors are one line and exit 2, unfinished commands say so. */
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

describe('millrace CLI', () => {
  it('prints help listing every command, and help per command', () => {
    const help = millrace('--help');
    assert.equal(help.status, 0);
    for (const command of ['demo', 'worker', 'run', 'status', 'cancel', 'history', 'task', 'example', 'queue', 'bench', 'server', 'replay', 'dataset', 'dial', 'token']) assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
    const workerHelp = millrace('worker', '--help');
    assert.equal(workerHelp.status, 0);
    assert.match(workerHelp.stdout, /--concurrency/);
  });

  it('rejects an unknown flag with one line and exit code 2', () => {
    const result = millrace('demo', '--documentz', '3');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^millrace: unknown option '--documentz'/);
    assert.equal(result.stderr.trim().split('\n').filter((l) => !l.startsWith('(Did you mean')).length, 1);
  });

  it('rejects a bad value with one line naming it and exit code 2', () => {
    const result = millrace('demo', '--threads', 'many');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--threads <n>.*expected an integer from 1 to 1024, got "many"/);
    const badJson = millrace('task', 'echo', '--input', '{"__proto__": 1}');
    assert.equal(badJson.status, 2);
    assert.match(badJson.stderr, /JSON key "__proto__" is not allowed/);
  });

  it('rejects an unknown command with exit code 2', () => {
    assert.equal(millrace('frobnicate').status, 2);
  });

  it('checks worker tags', () => {
    const result = millrace('worker', '--tasks', 'x.ts', '--tags', 'v2,gpu cards');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /tag "gpu cards" may only hold letters, digits/);
  });

  it('creates, lists and revokes API tokens, showing a secret only once', () => {
    const dir = createTempDir();
    try {
      const created = millrace('token', 'create', '--name', 'ci', '--scope', 'operate', '--data-dir', dir.path);
      assert.equal(created.status, 0, created.stderr);
      const token = created.stdout.trim();
      assert.match(token, /^mr_[a-z0-9]{12}_/);
      const [, id, secret] = /^mr_([a-z0-9]{12})_(.+)$/.exec(token)!;
      const listed = millrace('token', 'ls', '--json', '--data-dir', dir.path);
      assert.deepEqual(JSON.parse(listed.stdout).map((t: { id: string; scope: string }) => [t.id, t.scope]), [[id, 'operate']]);
      assert.ok(!listed.stdout.includes(secret!), 'ls never shows the secret');
      assert.equal(millrace('token', 'revoke', id!, '--data-dir', dir.path).status, 0);
      assert.equal(millrace('token', 'revoke', id!, '--data-dir', dir.path).status, 1);
      assert.equal(millrace('token', 'create', '--name', 'x', '--scope', 'root', '--data-dir', dir.path).status, 2);
    } finally {
      dir.remove();
    }
  });

  it('changes engine dials from the command line, recording who did it', () => {
    const dir = createTempDir();
    try {
      const changed = millrace('dial', 'engine', 'workers.concurrency=8', 'routes=resize=v2:0.1', '--data-dir', dir.path);
      assert.equal(changed.status, 0, changed.stderr);
      const [concurrency, routes] = changed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { dial: string; to: unknown; by: string });
      assert.deepEqual([concurrency!.dial, concurrency!.to, routes!.dial, routes!.to], ['workers.concurrency', 8, 'routes', [{ task: 'resize', tag: 'v2', share: 0.1 }]]);
      assert.match(concurrency!.by, /^cli:/);
      const unknown = millrace('dial', 'engine', 'speed=3', '--data-dir', dir.path);
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /CONFIG_INVALID: unknown dial "speed"/);
      assert.equal(millrace('dial', 'engine', 'workers.concurrency=lots', '--data-dir', dir.path).status, 2);
    } finally {
      dir.remove();
    }
  });

  it('refuses to serve the API on a non-loopback address while it has no authentication', () => {
    const result = millrace('server', '--host', '0.0.0.0');
    assert.equal(result.status, 1);
    assert.match(result.stderr, /CONFIG_INVALID: refusing to listen on 0\.0\.0\.0 without authentication: start the server with --auth tokens/);
  });

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
      assert.match(result.stdout, /malformed lines: \d+ \(counted, not fatal\)/);
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
