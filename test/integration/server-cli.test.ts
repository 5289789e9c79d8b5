/** `millrace server` as users start it: every domain's routes are mounted, and SIGTERM stops it cleanly. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnMillrace, stopChild, type MillraceChild } from '../helpers/cluster.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { existsSync, readFileSync } from 'node:fs';
import { silentLogger } from '../../src/core/logger.js';
import { scaleHook } from '../../src/cli/scale-hook.js';

describe('millrace server (embedded)', () => {
  const dir = createTempDir();
  let server: MillraceChild | undefined;
  after(async () => {
    if (server !== undefined) await stopChild(server, 'SIGKILL');
    dir.remove();
  });

  it('serves processes, queues, datasets, streams, dials and health, then drains on SIGTERM', async () => {
    server = spawnMillrace(['server', 'examples/page-hits', '--port', '0', '--threads', '1', '--query-threads', '1', '--scale', '2-6', '--threads-per-worker', '4'], { MILLRACE_DATA_DIR: dir.path });
    await server.waitFor('listening on');
    const base = /listening on (http:\/\/\S+)/.exec(server.stdout())![1]!;
    for (const path of ['/api/health', '/api/ready', '/api/processes', '/api/queues', '/api/datasets', '/api/streams', '/api/dials', '/metrics', '/api/openapi.json', '/api/scaling']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 200, `${path}: ${await response.text()}`);
    }
    const scaling = await (await fetch(`${base}/api/scaling`)).json() as { queue: string; desired: number; policy: { min: number; max: number } };
    assert.deepEqual([scaling.queue, scaling.desired, scaling.policy.min, scaling.policy.max], ['tasks', 2, 2, 6]);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /^millrace_scaler_desired_workers\{queue="tasks"\} 2$/m);
    assert.equal(await stopChild(server), 0, server.stderr());
  });

  it('hands tasks to its own threads without the queue, and with --no-local-dispatch sends them through it', async () => {
    const module = new URL('../fixtures/hanging-module.ts', import.meta.url).pathname;
    // Three tasks that note their start, then run until killed: while they run, the queue shows whether they came through it.
    const leasedWhileRunning = async (flags: string[]): Promise<number> => {
      const startedFile = dir.file(`started-${flags.length}.txt`);
      const child = spawnMillrace(['server', module, '--port', '0', '--threads', '1', '--no-queries', ...flags], { MILLRACE_DATA_DIR: dir.file(`local-${flags.length}`) });
      server = child;
      try {
        await child.waitFor('listening on');
        const base = /listening on (http:\/\/\S+)/.exec(child.stdout())![1]!;
        const started = await fetch(`${base}/api/processes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ definition: 'noted-hanging', input: { startedFile } }) });
        assert.equal(started.status, 201, await started.text());
        for (let waited = 0; !existsSync(startedFile) || readFileSync(startedFile, 'utf8').split('\n').length < 4; waited += 50) {
          assert.ok(waited < 20_000, 'the three tasks did not start');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const { queues } = await (await fetch(`${base}/api/queues`)).json() as { queues: Array<{ name: string; inFlight: number }> };
        return queues.find((queue) => queue.name === 'tasks')?.inFlight ?? 0;
      } finally {
        await stopChild(child, 'SIGKILL');
        server = undefined;
      }
    };
    assert.equal(await leasedWhileRunning([]), 0, 'in-process dispatch: no task leased from the queue');
    assert.equal(await leasedWhileRunning(['--no-local-dispatch']), 3, 'every running task leased from the queue');
  });

  it('runs the scale hook with the desired count in its environment', async () => {
    const out = dir.file('hook.txt');
    await scaleHook(`echo "$MILLRACE_PREVIOUS_WORKERS->$MILLRACE_DESIRED_WORKERS $MILLRACE_SCALE_QUEUE" > '${out}'`, 'tasks', silentLogger)({ at: 0, from: 2, to: 7, direction: 'up', needed: 7, reason: 'test' });
    assert.equal(readFileSync(out, 'utf8').trim(), '2->7 tasks');
  });
});
