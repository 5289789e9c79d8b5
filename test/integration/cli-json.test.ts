/**
 * `--json` on every read command: the output is one JSON document that
 * parses, with the fields docs/cli.md lists, whatever else the command
 * prints for people.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createMillrace } from '../../src/runtime/millrace.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
const runtime = new URL('../../src/streams/index.js', import.meta.url).pathname;
const processModule = new URL('../fixtures/process-module.ts', import.meta.url).pathname;

describe('millrace read commands with --json', () => {
  let dir: TempDir;
  let processId: string;
  let tokenId: string;

  /** Runs the CLI on the test's data directory; returns its stdout. */
  function cli(...args: string[]): string {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, ...args, '--data-dir', dir.file('data')], { encoding: 'utf8', env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' } });
    assert.equal(result.status, 0, `millrace ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  /** A read command with `--json`: its stdout parsed as one JSON document. */
  const json = (...args: string[]): unknown => JSON.parse(cli(...args, '--json')) as unknown;

  const hasFields = (value: unknown, fields: string[], what: string): void => {
    assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what}: an object`);
    for (const field of fields) assert.ok(field in (value as object), `${what} has ${field}: ${JSON.stringify(value).slice(0, 300)}`);
  };

  before(async () => {
    dir = createTempDir('millrace-cli-json-');
    processId = (JSON.parse(cli('run', processModule, '--input-json', '{"n": 2}', '--threads', '1', '--quiet')) as { processId: string }).processId;
    tokenId = (json('token', 'create', '--name', 'script', '--scope', 'read') as { id: string }).id;
    cli('dataset', 'generate', '--dataset', 'tiny', '--files', '1', '--size', '8KB');
    cli('dial', 'engine', 'workers.concurrency=5');
    cli('dial', 'orders', 'maxMessages=40');
    writeFileSync(dir.file('pipelines.ts'), [
      `import { stream, tumbling, count, eventTime, topicSink } from ${JSON.stringify(runtime)}`,
      `export const perUser = stream('per-user', { topic: 'clicks' })`,
      `  .keyBy((c) => c.user, { time: eventTime('at'), partitions: 1 }).window(tumbling({ size: 1000 })).aggregate(count).to(topicSink('per-user-counts'))`,
    ].join('\n'));
    const millrace = await createMillrace({ dataDir: dir.file('data'), logLevel: 'silent' });
    try {
      await millrace.log.createTopic('clicks', { partitions: 1 });
      // A worker that reports itself once and stops: `millrace workers` lists it as stopped.
      const worker = await millrace.startWorker({ tasks: new URL('../fixtures/tasks.ts', import.meta.url), threads: 1, tags: ['blue'], untagged: true });
      await worker.stop();
    } finally {
      await millrace.close();
    }
  });
  after(() => dir.remove());

  it('status, status <id> and history', () => {
    const list = json('status') as unknown[];
    assert.ok(Array.isArray(list) && list.length === 1);
    hasFields(list[0], ['processId', 'definition', 'version', 'status', 'startedAt'], 'status list entry');
    const view = json('status', processId);
    hasFields(view, ['processId', 'definition', 'status', 'steps', 'output'], 'status <id>');
    const events = json('history', processId) as Array<{ type: string }>;
    assert.ok(Array.isArray(events));
    hasFields(events[0], ['type', 'version', 'data', 'recordedAt'], 'history event');
    assert.deepEqual([events[0]!.type, events.at(-1)!.type], ['ProcessStarted', 'ProcessCompleted']);
  });

  it('token ls, queue stats and queue dead-letters', () => {
    const tokens = json('token', 'ls') as unknown[];
    hasFields(tokens[0], ['id', 'name', 'scope', 'createdAt'], 'token');
    assert.equal((tokens[0] as { id: string }).id, tokenId);
    assert.ok(!JSON.stringify(tokens).includes('"token"'), 'never a secret');
    hasFields(json('queue', 'stats', 'tasks'), ['queue', 'ready', 'delayed', 'inFlight', 'deadLettered', 'redelivered'], 'queue stats');
    assert.deepEqual(json('queue', 'dead-letters', 'tasks'), []);
  });

  it('dataset ls and dataset info', () => {
    const datasets = json('dataset', 'ls') as unknown[];
    assert.equal(datasets.length, 1);
    hasFields(datasets[0], ['name', 'revision', 'files', 'groups', 'storedBytes', 'createdAt'], 'dataset');
    hasFields(json('dataset', 'info', 'tiny'), ['name', 'revision', 'files', 'groups'], 'dataset info');
  });

  it('dial reads: the engine\'s and a stream\'s values with their audit log', () => {
    const engine = json('dial', 'engine') as { dials: Record<string, unknown>; changes: Array<Record<string, unknown>> };
    hasFields(engine, ['target', 'dials', 'changes'], 'engine dials');
    assert.equal(engine.dials['workers.concurrency'], 5);
    hasFields(engine.changes[0], ['dial', 'from', 'to', 'by', 'at'], 'engine change');
    const orders = json('dial', 'orders') as { dials: Record<string, unknown>; changes: Array<Record<string, unknown>> };
    assert.deepEqual(orders.dials, { maxMessages: 40, maxWaitMs: 1000, concurrency: 1 });
    assert.deepEqual(orders.changes.map(({ dial, from, to }) => [dial, from, to]), [['maxMessages', 1000, 40]]);
    assert.match(String(orders.changes[0]!.by), /^cli:/);
  });

  it('stream status and workers', () => {
    hasFields(json('stream', 'status', 'per-user', '--module', dir.file('pipelines.ts')), ['name', 'kind', 'source', 'lag', 'watermarks', 'late', 'deadLetters', 'recordsPerSecond'], 'stream status');
    // Two have reported: the worker threads of `millrace run`, and the tagged one started above.
    const workers = json('workers') as Array<{ tags: string[]; state: string; done: number }>;
    assert.equal(workers.length, 2);
    for (const worker of workers) hasFields(worker, ['id', 'host', 'pid', 'tags', 'kinds', 'queues', 'concurrency', 'inFlight', 'done', 'failed', 'beatAt', 'state'], 'worker');
    assert.deepEqual(workers.map((w) => [w.tags, w.state]).sort(), [[[], 'stopped'], [['blue'], 'stopped']]);
  });
});
