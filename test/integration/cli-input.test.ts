/**
 * The CLI's boundary: bad numbers, unknown flags, missing files and
 * malformed input files each end with one line naming the problem (exit 2
 * for usage, 1 for what the engine refuses), never silence or a stack.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

describe('millrace CLI: malformed input', () => {
  let dir: TempDir;
  before(() => {
    dir = createTempDir();
    writeFileSync(dir.file('inputs.jsonl'), '{"a":1}\n{not json\n');
    writeFileSync(dir.file('image.mzML'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]));
  });
  after(() => dir.remove());

  function millrace(...args: string[]): { status: number | null; stderr: string } {
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], {
      cwd: dir.path, encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent', MILLRACE_DATA_DIR: dir.file('state') },
    });
    return { status: result.status, stderr: result.stderr };
  }

  /** One line, no stack trace. */
  function oneLine(stderr: string): string {
    const lines = stderr.trim().split('\n').filter((line) => !line.startsWith('(Did you mean'));
    assert.equal(lines.length, 1, stderr);
    assert.doesNotMatch(stderr, /\n\s+at /);
    return lines[0]!;
  }

  it('names a bad number, whatever its form, with exit 2', () => {
    for (const port of ['99999', '0x10', '1e3', '-1', '12abc', '']) {
      const result = millrace('server', '--port', port);
      assert.equal(result.status, 2, port);
      assert.match(oneLine(result.stderr), new RegExp(`--port <n>.*expected an integer from 0 to 65535, got "${port}"`));
    }
  });

  it('prints the usage errors a command finds after parsing (they were exit 2 in silence)', () => {
    const bad = millrace('task', 'echo', '--inputs', 'inputs.jsonl');
    assert.equal(bad.status, 2);
    assert.match(oneLine(bad.stderr), /^millrace: inputs\.jsonl line 2: /);
    const both = millrace('task', 'echo', '--input', '1', '--inputs', 'inputs.jsonl');
    assert.equal(both.status, 2);
    assert.match(oneLine(both.stderr), /give --input or --inputs, not both/);
  });

  it('names a missing file: inputs, module, config, mzML', () => {
    const cases: Array<[string[], RegExp]> = [
      [['task', 'echo', '--inputs', 'missing.jsonl'], /^millrace: INPUT_NOT_FOUND: cannot read --inputs missing\.jsonl: ENOENT$/],
      [['run', 'missing-module.ts'], /CONFIG_INVALID: no such file or folder: missing-module\.ts/],
      [['--config', 'missing.config.ts', 'token', 'ls'], /CONFIG_INVALID: config file not found: missing\.config\.ts/],
      [['dataset', 'import', 'missing.mzML', '--dataset', 'd'], /INPUT_NOT_FOUND: cannot read .*missing\.mzML/],
      [['dataset', 'import', '.', '--dataset', 'd'], /^millrace: INPUT_NOT_FOUND: cannot read \.: not a regular file$/],
    ];
    for (const [args, message] of cases) {
      const result = millrace(...args);
      assert.equal(result.status, 1, args.join(' '));
      assert.match(oneLine(result.stderr), message);
    }
  });

  it('names a missing or unreadable --input of millrace run before reading any of them', () => {
    const example = new URL('../../examples/page-hits', import.meta.url).pathname;
    writeFileSync(dir.file('present.log'), '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "-"\n');
    const missing = millrace('run', example, '--input', 'present.log', '--input', 'absent.log', '--threads', '1');
    assert.equal(missing.status, 1);
    assert.match(oneLine(missing.stderr), /^millrace: INPUT_NOT_FOUND: input file "absent\.log" does not exist \(looked for .*absent\.log\)$/);
    const folder = millrace('run', example, '--input', '.', '--threads', '1');
    assert.equal(folder.status, 1);
    assert.match(oneLine(folder.stderr), /^millrace: INPUT_NOT_FOUND: input "\." is not a regular file$/);
    const blobs = spawnSync('find', [dir.file('state'), '-path', '*inputs*', '-type', 'f'], { encoding: 'utf8' }).stdout;
    assert.equal(blobs, '', 'nothing was uploaded');
    const out = millrace('run', example, '--input', 'present.log', '--out', 'present.log/results', '--threads', '1');
    assert.equal(out.status, 1);
    assert.match(oneLine(out.stderr), /^millrace: CONFIG_INVALID: --out present\.log\/results cannot be the output folder: cannot mkdir present\.log\/results: not a directory \(ENOTDIR\)$/, 'before the run starts');
  });

  it('names a path it cannot write, once, with what it tried', () => {
    const logs = millrace('example', 'logs', '--size', '1KB', '--out', '.');
    assert.equal(logs.status, 1);
    assert.match(oneLine(logs.stderr), /^millrace: cannot open \.: illegal operation on a directory \(EISDIR\)$/);
  });

  it('waits for a worker when given no --tasks, saying so (it ended with exit 13 and no word)', async () => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'task', 'echo', '--input', '1'], {
      cwd: dir.path, env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent', MILLRACE_DATA_DIR: dir.file('waiting') },
    });
    let stderr = '';
    let exited: number | null | undefined;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ended = new Promise<void>((resolve) => child.on('exit', (code) => {
      exited = code;
      resolve();
    }));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('waiting') && exited === undefined && Date.now() < deadline) await sleep(50);
    await sleep(1_500); // the engine's first polls have run: an unref'd wait would have ended by now
    assert.equal(exited, undefined, `still waiting (it exited with ${exited}): ${stderr}`);
    assert.match(stderr, /no --tasks: waiting for a `millrace worker` to take 1 task\(s\) from queue tasks/);
    child.kill('SIGKILL');
    await ended;
  });

  it('names what is wrong with a file that is there but malformed', () => {
    const result = millrace('dataset', 'import', 'image.mzML', '--dataset', 'd');
    assert.equal(result.status, 1);
    assert.match(oneLine(result.stderr), /DATASET_INVALID: image\.mzML: not UTF-8 text/);
  });
});
