/** The CLI contract: help everywhere, usage errors are one line and exit 2, tokens and dials from a shell. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

  it('the installed launcher (bin/millrace.cjs) runs the CLI with 16 I/O threads unless UV_THREADPOOL_SIZE says otherwise', () => {
    const dir = createTempDir();
    try {
      // A CommonJS preload runs before the launcher and reports what the process ran with.
      const report = dir.file('report.cjs');
      writeFileSync(report, "process.on('exit', () => process.stderr.write('threads=' + process.env.UV_THREADPOOL_SIZE))");
      const launcher = new URL('../../bin/millrace.cjs', import.meta.url).pathname;
      const run = (env: NodeJS.ProcessEnv): { stdout: string; stderr: string } => {
        const { UV_THREADPOOL_SIZE: _, ...inherited } = process.env;
        return spawnSync(process.execPath, ['-r', report, launcher, '--version'], { encoding: 'utf8', env: { ...inherited, ...env } });
      };
      const raised = run({});
      assert.match(raised.stdout, /^\d+\.\d+\.\d+/);
      assert.equal(raised.stderr, 'threads=16');
      assert.equal(run({ UV_THREADPOOL_SIZE: '6' }).stderr, 'threads=6');
    } finally {
      dir.remove();
    }
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
});
