/** `millrace server` as users start it: every domain's routes are mounted, and SIGTERM stops it cleanly. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnMillrace, stopChild, type MillraceChild } from '../helpers/cluster.js';
import { createTempDir } from '../helpers/temp-dir.js';

describe('millrace server (embedded)', () => {
  const dir = createTempDir();
  let server: MillraceChild | undefined;
  after(async () => {
    if (server !== undefined) await stopChild(server, 'SIGKILL');
    dir.remove();
  });

  it('serves processes, queues, datasets, streams, dials and health, then drains on SIGTERM', async () => {
    server = spawnMillrace(['server', 'examples/page-hits', '--port', '0', '--threads', '1', '--query-threads', '1'], { MILLRACE_DATA_DIR: dir.path });
    await server.waitFor('listening on');
    const base = /listening on (http:\/\/\S+)/.exec(server.stdout())![1]!;
    for (const path of ['/api/health', '/api/ready', '/api/processes', '/api/queues', '/api/datasets', '/api/streams', '/api/dials', '/metrics', '/api/openapi.json']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 200, `${path}: ${await response.text()}`);
    }
    assert.equal(await stopChild(server), 0, server.stderr());
  });
});
