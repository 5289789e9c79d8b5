/** `millrace server` as users start it: every domain's routes are mounted, and SIGTERM stops it cleanly. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnMillrace, stopChild, type MillraceChild } from '../helpers/cluster.js';
import { createTempDir } from '../helpers/temp-dir.js';
import { readFileSync } from 'node:fs';
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

  it('runs the scale hook with the desired count in its environment', async () => {
    const out = dir.file('hook.txt');
    await scaleHook(`echo "$MILLRACE_PREVIOUS_WORKERS->$MILLRACE_DESIRED_WORKERS $MILLRACE_SCALE_QUEUE" > '${out}'`, 'tasks', silentLogger)({ at: 0, from: 2, to: 7, direction: 'up', needed: 7, reason: 'test' });
    assert.equal(readFileSync(out, 'utf8').trim(), '2->7 tasks');
  });
});
