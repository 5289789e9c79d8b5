/** `millrace.config.*`: found in the working folder or named, it supplies defaults that the environment and flags override. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { configFileVariables } from '../../src/runtime/config-file.js';
import { createTempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function millraceIn(cwd: string, args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MILLRACE_')));
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), main, ...args], { cwd, encoding: 'utf8', env: { ...inherited, MILLRACE_LOG_LEVEL: 'silent', ...env } });
  return { status: result.status, stderr: result.stderr };
}

describe('config file', () => {
  it('maps settings to the MILLRACE_* variables and names a wrong field', () => {
    assert.deepEqual(configFileVariables({ dataDir: 'state', threads: 3, store: 'postgres://db/app' }, 'millrace.config.mjs'), {
      MILLRACE_DATA_DIR: 'state', MILLRACE_THREADS: '3', MILLRACE_STORE: 'postgres://db/app',
    });
    assert.throws(() => configFileVariables({ datadir: 'x' }, 'c.mjs'), { code: 'CONFIG_INVALID', message: /c\.mjs: unknown setting "datadir" \(known: dataDir,/ });
    assert.throws(() => configFileVariables({ threads: '4' }, 'c.mjs'), { code: 'CONFIG_INVALID', message: /c\.mjs: threads must be a number, got "4"/ });
    assert.throws(() => configFileVariables(undefined, 'c.mjs'), { code: 'CONFIG_INVALID', message: /must export default an object/ });
  });

  it('is read from the working folder; the environment overrides it', () => {
    const dir = createTempDir();
    try {
      writeFileSync(dir.file('millrace.config.mjs'), `export default { dataDir: ${JSON.stringify(dir.file('from-file'))} }\n`);
      assert.equal(millraceIn(dir.path, ['status']).status, 0);
      assert.ok(existsSync(dir.file('from-file/events.db')), 'the engine opened its state where the file said');
      assert.equal(millraceIn(dir.path, ['status'], { MILLRACE_DATA_DIR: dir.file('from-env') }).status, 0);
      assert.ok(existsSync(dir.file('from-env/events.db')), 'the environment variable won over the file');
    } finally {
      dir.remove();
    }
  });

  it('can be named with --config, and a bad one is one clear error', () => {
    const dir = createTempDir();
    try {
      writeFileSync(dir.file('prod.mjs'), 'export default { queue: "redis://cache:6379" }\n');
      const wrongScheme = millraceIn(dir.path, ['--config', 'prod.mjs', 'status']);
      assert.equal(wrongScheme.status, 1);
      assert.match(wrongScheme.stderr, /CONFIG_INVALID: MILLRACE_QUEUE must start with amqp:\/\//);
      const missing = millraceIn(dir.path, ['--config', 'nope.mjs', 'status']);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /config file not found: nope\.mjs/);
    } finally {
      dir.remove();
    }
  });
});
