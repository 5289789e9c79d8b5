/** `millrace demo` serves the dashboard after its run until a signal; it does not when nobody watches or with --once. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { shouldServe } from '../../src/cli/demo/demo-server.js';
import { DEFAULT_DASHBOARD_ROOT } from '../../src/server/static.js';
import { createTempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

describe('millrace demo and the dashboard', () => {
  it('serves only when someone is watching, unless told', () => {
    assert.equal(shouldServe({}, { isTTY: true }, {}), true);
    assert.equal(shouldServe({}, { isTTY: true }, { CI: 'true' }), false);
    assert.equal(shouldServe({}, { isTTY: false }, {}), false);
    assert.equal(shouldServe({ once: true }, { isTTY: true }, {}), false);
    assert.equal(shouldServe({ serve: true }, { isTTY: false }, { CI: 'true' }), true);
  });

  it('refuses --once with --serve', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, 'demo', '--once', '--serve'], { encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /option '--once' cannot be used with option '--serve'/);
  });

  it('prints the dashboard URL after the run, serves the process it ran, and exits 0 on SIGTERM', async () => {
    const dir = createTempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', main, 'demo', '--size', '2', '--threads', '2', '--serve', '--port', '0', '--data-dir', dir.file('demo')], {
      env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<RegExpExecArray>((resolve, reject) => {
        const check = (): void => {
          const match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/processes\/(\S+)\nServing until Ctrl-C/.exec(stdout);
          if (match !== null) resolve(match);
        };
        child.stdout.on('data', check);
        void exited.then((code) => reject(new Error(`demo exited (${code}) before serving:\n${stdout}\n${stderr}`)));
      });
      const [, url, processId] = line as unknown as [string, string, string];
      assert.match(stdout, /dashboard: http:\/\/127\.0\.0\.1:\d+ \(the process appears there as it runs\)/);
      const list = (await (await fetch(`${url}/api/processes`)).json()) as { processes: Array<{ processId: string; definition: string; status: string }> };
      assert.deepEqual(list.processes.map((p) => [p.processId, p.definition, p.status]), [[processId, 'page-hits', 'completed']]);
      const view = (await (await fetch(`${url}/api/processes/${processId}`)).json()) as { steps: Array<{ name: string; status: string }> };
      assert.ok(view.steps.length >= 3 && view.steps.every((s) => s.status === 'completed' || s.status === 'skipped'), JSON.stringify(view.steps));
      const page = await fetch(`${url}/processes/${processId}`);
      const built = existsSync(join(DEFAULT_DASHBOARD_ROOT, 'index.html'));
      assert.equal(page.status, built ? 200 : 503);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
      dir.remove();
    }
  });
});
