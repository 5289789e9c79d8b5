/** `millrace replay`, `millrace dial` and `millrace stream run` against an embedded data directory. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { createMillrace } from '../../src/runtime/millrace.js';
import type { ResultRecord } from '../../src/streams/runtime/records.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const runtime = new URL('../../src/streams/index.js', import.meta.url).pathname;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('cli: replay and dial', () => {
  let dir: TempDir;
  before(async () => {
    dir = createTempDir('millrace-cli-stream-');
    writeFileSync(dir.file('pipelines.ts'), [
      `import { stream, tumbling, count, eventTime, topicSink } from ${JSON.stringify(runtime)}`,
      `export const perUser = stream('per-user', { topic: 'clicks' })`,
      `  .keyBy((c) => c.user, { time: eventTime('at'), partitions: 1 })`,
      `  .window(tumbling({ size: 10_000 }))`,
      `  .aggregate(count)`,
      `  .to(topicSink('clicks-per-user'))`,
      `export const perUserThreads = stream('per-user-threads', { topic: 'clicks' })`,
      `  .keyBy((c) => c.user, { time: eventTime('at'), partitions: 2 })`,
      `  .window(tumbling({ size: 10_000 }))`,
      `  .aggregate(count)`,
      `  .to(topicSink('clicks-per-user-threads'))`,
    ].join('\n'));
    const millrace = await createMillrace({ dataDir: dir.file('data'), logLevel: 'silent' });
    try {
      await millrace.log.createTopic('clicks', { partitions: 2 });
      await millrace.log.append('clicks', Array.from({ length: 300 }, (_, i) => ({ value: { user: `u${i % 3}`, at: i * 100 }, partition: i % 2 })));
    } finally {
      await millrace.close();
    }
  });
  after(() => dir.remove());

  it('replays a pipeline over an offset range into its own output', async () => {
    const run = cli('replay', 'per-user', '--module', dir.file('pipelines.ts'), '--to', '100', '--as', 'first', '--data-dir', dir.file('data'));
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { outputs: Record<string, string>; events: number; results: number };
    assert.deepEqual(report.outputs, { 'clicks-per-user': 'clicks-per-user.replay.first' });
    assert.equal(report.events, 200);
    const millrace = await createMillrace({ dataDir: dir.file('data'), logLevel: 'silent' });
    try {
      const results = (await millrace.log.read('clicks-per-user.replay.first', 0, 0)).map((r) => r.value as ResultRecord<number>);
      // Offsets 0–99 of both partitions: events 0–199, at 0–19.9 s: two 10 s windows, three users.
      assert.equal(results.reduce((n, r) => n + r.value, 0), 200);
      assert.deepEqual([...new Set(results.map((r) => r.end))], [10_000, 20_000]);
    } finally {
      await millrace.close();
    }
  });

  it('says which pipelines a module has when the name is wrong', () => {
    const run = cli('replay', 'per-page', '--module', dir.file('pipelines.ts'), '--data-dir', dir.file('data'));
    assert.equal(run.status, 1);
    assert.match(run.stderr, /exports no stream pipeline named "per-page" \(it exports: per-user, per-user-threads\)/);
  });

  it('appends a dial change to the stream\'s control topic, and refuses an unknown dial', async () => {
    const run = cli('dial', 'orders', 'maxMessages=50', 'concurrency=3', '--data-dir', dir.file('data'));
    assert.equal(run.status, 0, run.stderr);
    const millrace = await createMillrace({ dataDir: dir.file('data'), logLevel: 'silent' });
    try {
      const values = (await millrace.log.read('orders.dials', 0, 0)).map((r) => r.value as Record<string, unknown>);
      assert.deepEqual(values.map(({ by: _by, ...dials }) => dials), [{ maxMessages: 50, concurrency: 3 }]);
      assert.match(String(values[0]!.by), /^cli:/, 'who changed it is recorded');
    } finally {
      await millrace.close();
    }
    const bad = cli('dial', 'orders', 'speed=9', '--data-dir', dir.file('data'));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown dial "speed"/);
  });

  /** Starts `millrace stream run …args`, waits until `topic`'s results count 200 clicks, stops it with SIGTERM; returns its output. */
  async function runUntilCounted(topic: string, args: string[]): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; total: number; stderr: string }> {
    const proc = spawn(process.execPath, ['--import', 'tsx', main, 'stream', 'run', ...args, '--module', dir.file('pipelines.ts'), '--lease-ms', '2000', '--data-dir', dir.file('data')], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    // Results of the windows before 20 s appear once the watermark passes them (the clicks run to 29 900).
    let total = 0;
    while (total < 200 && proc.exitCode === null) {
      await sleep(100);
      const millrace = await createMillrace({ dataDir: dir.file('data'), logLevel: 'silent' });
      try {
        const info = await millrace.log.topicInfo(topic).catch(() => undefined);
        total = 0;
        for (let p = 0; p < (info?.partitions ?? 0); p++) total += (await millrace.log.read(topic, p, 0)).reduce((n, r) => n + (r.value as ResultRecord<number>).value, 0);
      } finally {
        await millrace.close();
      }
    }
    proc.kill('SIGTERM');
    const code = await exited;
    return { code, lines: stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>), total, stderr };
  }

  it('runs a pipeline as a runner process until SIGTERM, then leaves its group', async () => {
    const run = await runUntilCounted('clicks-per-user', ['per-user', '--runner', 'cli-1']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.lines[0], { stream: 'per-user', runner: 'cli-1', tasks: ['map/0', 'map/1', 'window/0'] });
    assert.deepEqual(run.lines.at(-1), { stream: 'per-user', runner: 'cli-1', stopped: true });
    // Windows [0, 10 s) and [10 s, 20 s) are closed: 200 clicks; the last window waits for later clicks.
    assert.equal(run.total, 200);
  });

  it('shows a pipeline\'s status: lag 0 in the source once read, its runner group', () => {
    const run = cli('stream', 'status', 'per-user', '--module', dir.file('pipelines.ts'), '--data-dir', dir.file('data'));
    assert.equal(run.status, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { name: string; source: { partitions: Array<{ end: number; lag: number }> }; events: number; runners: { members: string[] } };
    assert.equal(status.name, 'per-user');
    assert.deepEqual(status.source.partitions.map((p) => [p.end, p.lag]), [[150, 0], [150, 0]]);
    assert.equal(status.events, 300);
    assert.deepEqual(status.runners.members, [], 'cli-1 left on SIGTERM');
  });

  it('runs runners on worker threads with --threads', async () => {
    const run = await runUntilCounted('clicks-per-user-threads', ['per-user-threads', '--threads', '2']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((run.lines[0]!.runners as string[]).length, 2);
    assert.equal(run.lines.at(-1)!.stopped, true);
    assert.equal(run.lines.at(-1)!.restarts, 0);
    assert.equal(run.total, 200);
  });
});
