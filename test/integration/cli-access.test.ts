/** The CLI for access and repair: token groups, `millrace policy`, `millrace retry` and `millrace queue drop`, from a shell. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createMillrace } from '../../src/runtime/millrace.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { repairable } from '../fixtures/processes.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

function millrace(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('millrace CLI: access and repair', () => {
  it('creates a token with groups, and sets, lists and removes a policy', () => {
    const dir = createTempDir();
    try {
      const created = JSON.parse(millrace('token', 'create', '--name', 'alice', '--scope', 'operate', '--groups', 'lab,auditors', '--json', '--data-dir', dir.path).stdout) as { id: string; groups: string[] };
      assert.deepEqual(created.groups, ['lab', 'auditors']);
      const set = millrace('policy', 'set', 'process:page-hits', '--owner', `token:${created.id}`, '--readers', 'group:auditors', '--data-dir', dir.path);
      assert.equal(set.status, 0, set.stderr);
      const listed = JSON.parse(millrace('policy', 'ls', '--json', '--data-dir', dir.path).stdout) as Array<{ resource: string; owner: string; readers: string[]; operators: string[] }>;
      assert.deepEqual(listed.map(({ resource, owner, readers, operators }) => ({ resource, owner, readers, operators })), [{ resource: 'process:page-hits', owner: `token:${created.id}`, readers: ['group:auditors'], operators: [] }]);
      const bad = millrace('policy', 'set', 'queue:tasks', '--owner', 'group:lab', '--data-dir', dir.path);
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /resource "queue:tasks" must read dataset:<name> or process:<definition name>/);
      assert.equal(millrace('policy', 'rm', 'process:page-hits', '--data-dir', dir.path).status, 0);
      assert.equal(millrace('policy', 'rm', 'process:page-hits', '--data-dir', dir.path).status, 1, 'nothing left to remove');
      assert.deepEqual(JSON.parse(millrace('policy', 'ls', '--json', '--data-dir', dir.path).stdout), []);
    } finally {
      dir.remove();
    }
  });

  it('retries the task that failed a process from another shell, without the module, while a server runs it', async () => {
    const dir = createTempDir();
    const server = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
    try {
      const fixedWhen = dir.file('fixed');
      await server.startWorker({ tasks });
      const failed = await server.runProcess(repairable, { fixedWhen }, { processId: 'cli-rp' });
      assert.equal(failed.status, 'failed');

      const wrong = millrace('retry', 'cli-rp', 'first/0', '--data-dir', dir.path);
      assert.notEqual(wrong.status, 0);
      assert.match(wrong.stderr, /cannot retry task cli-rp\/first\/0: the process failed because of task cli-rp\/work\/0/);
      writeFileSync(fixedWhen, 'deployed');
      const retried = millrace('retry', 'cli-rp', 'work/0', '--data-dir', dir.path);
      assert.equal(retried.status, 0, retried.stderr);
      assert.match(retried.stdout, /retrying cli-rp\/work\/0 \(attempt 2\); cli-rp is running again/);
      // The server had the process cached as failed; it must follow the other writer, not drop the new attempt's result.
      for (let waited = 0; (await server.orchestrator.get('cli-rp')).status !== 'completed' && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const done = await server.orchestrator.get('cli-rp');
      assert.deepEqual([done.status, done.output], ['completed', { first: 10, work: [20] }]);
    } finally {
      await server.close();
      dir.remove();
    }
  });

  it('drops a dead letter', async () => {
    const dir = createTempDir();
    try {
      const engine = await createMillrace({ dataDir: dir.path, threads: 1, logLevel: 'silent' });
      await engine.queue.publish('parked', { id: 'poison', name: 'n', payload: 1 });
      const consumer = engine.queue.consume('parked', (d) => d.nack({ requeue: false, reason: 'poison' }), { concurrency: 1 });
      while ((await engine.queue.stats('parked')).deadLettered < 1) await new Promise((resolve) => setTimeout(resolve, 10));
      await consumer.stop();
      await engine.close();
      const dropped = millrace('queue', 'drop', 'parked', 'poison', '--data-dir', dir.path);
      assert.equal(dropped.status, 0, dropped.stderr);
      assert.equal(millrace('queue', 'dead-letters', 'parked', '--data-dir', dir.path).stdout, '');
      assert.notEqual(millrace('queue', 'drop', 'parked', 'poison', '--data-dir', dir.path).status, 0);
    } finally {
      dir.remove();
    }
  });
});
