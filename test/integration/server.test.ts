/** The HTTP API of `millrace server`: processes started, watched and cancelled over HTTP, and its input checks. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createMillrace, type Millrace } from '../../src/runtime/millrace.js';
import { assertLoopback, createServer } from '../../src/server/create-server.js';
import { createTempDir, type TempDir } from '../helpers/temp-dir.js';
import { hanging, squares } from '../fixtures/processes.js';

const tasks = new URL('../fixtures/process-tasks.ts', import.meta.url);

describe('server API', () => {
  let dir: TempDir;
  let millrace: Millrace;
  let app: FastifyInstance;

  before(async () => {
    dir = createTempDir();
    millrace = await createMillrace({ dataDir: dir.path, threads: 2, logLevel: 'silent' });
    millrace.orchestrator.register(squares).register(hanging);
    await millrace.startWorker({ tasks });
    await millrace.startOrchestrator();
    app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, log: millrace.log, logger: millrace.logger });
  });
  after(async () => {
    await app.close();
    await millrace.close();
    dir.remove();
  });

  it('starts a process, reports it as it runs, and lists and shows it once done', async () => {
    const started = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', input: { n: 4 }, processId: 'api-squares-1' } });
    assert.equal(started.statusCode, 201);
    assert.deepEqual(started.json(), { processId: 'api-squares-1' });
    assert.equal(started.headers.location, '/api/processes/api-squares-1');
    await millrace.orchestrator.wait('api-squares-1');
    const view = (await app.inject('/api/processes/api-squares-1')).json();
    assert.deepEqual([view.status, view.output], ['completed', 1 + 4 + 9 + 16 + 4]);
    const list = (await app.inject('/api/processes?status=completed')).json();
    assert.ok(list.processes.some((p: { processId: string }) => p.processId === 'api-squares-1'));
    const history = (await app.inject('/api/processes/api-squares-1/history')).json();
    assert.equal(history.events[0].type, 'ProcessStarted');
    assert.equal(history.events.at(-1).type, 'ProcessCompleted');
  });

  it('starting the same process id twice starts it once', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', input: { n: 2 }, processId: 'api-once' } });
      assert.equal(response.statusCode, 201);
    }
    await millrace.orchestrator.wait('api-once');
    const history = (await app.inject('/api/processes/api-once/history')).json();
    assert.equal(history.events.filter((e: { type: string }) => e.type === 'ProcessStarted').length, 1);
  });

  it('cancels a running process', async () => {
    await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'hanging', processId: 'api-hanging' } });
    const cancelled = await app.inject({ method: 'POST', url: '/api/processes/api-hanging/cancel', payload: { reason: 'not needed' } });
    assert.deepEqual(cancelled.json(), { cancelled: true });
    const view = await millrace.orchestrator.wait('api-hanging');
    assert.deepEqual([view.status, view.cancelReason], ['cancelled', 'not needed']);
  });

  it('answers bad input with 400 naming the field, unknown things with 404, and never a stack trace', async () => {
    const missing = await app.inject({ method: 'POST', url: '/api/processes', payload: { input: 1 } });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().error.message, /body\.definition/);
    const extra = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', colour: 'red' } });
    assert.equal(extra.statusCode, 400);
    assert.match(extra.json().error.message, /body\.colour must NOT have additional properties/);
    const strayParameter = await app.inject('/api/processes/never-started?colour=red');
    assert.equal(strayParameter.statusCode, 400, 'a route without query parameters refuses one');
    assert.match(strayParameter.json().error.message, /querystring\.colour/);
    const badId = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', processId: 'has space' } });
    assert.match(badId.json().error.message, /body\.processId/);
    const badStatus = await app.inject('/api/processes?status=sleeping');
    assert.equal(badStatus.statusCode, 400);
    assert.match(badStatus.json().error.message, /querystring\.status/);
    const unknownDefinition = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'nope' } });
    assert.equal(unknownDefinition.statusCode, 404);
    assert.equal(unknownDefinition.json().error.code, 'PROCESS_DEFINITION_UNKNOWN');
    const unknownProcess = await app.inject('/api/processes/never-started');
    assert.deepEqual([unknownProcess.statusCode, unknownProcess.json().error.code], [404, 'PROCESS_NOT_FOUND']);
    const noRoute = await app.inject('/api/nothing-here');
    assert.equal(noRoute.statusCode, 404);
    const badJson = await app.inject({ method: 'POST', url: '/api/processes', payload: '{"definition":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.statusCode, 400);
    for (const response of [missing, extra, badId, badStatus, unknownDefinition, unknownProcess, noRoute, badJson]) {
      assert.doesNotMatch(response.body, /\s+at\s.+\(.*:\d+:\d+\)/, 'no stack trace in a response');
    }
  });

  it('refuses a body over the limit', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/processes', payload: { definition: 'squares', input: 'x'.repeat(2 * 1024 * 1024) } });
    assert.equal(response.statusCode, 413);
  });

  it('exposes Prometheus metrics: tasks by outcome and duration, processes by status, queue depth', async () => {
    await millrace.runProcess(squares, { n: 3 });
    const text = (await app.inject('/metrics')).body;
    const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    assert.ok(value(/^millrace_tasks_ended_total\{definition="squares",step="squared",outcome="completed",tag="untagged"\} (\d+)$/m) >= 3);
    assert.ok(value(/^millrace_task_duration_seconds_count\{definition="squares",step="squared",tag="untagged"\} (\d+)$/m) >= 3);
    assert.ok(value(/^millrace_processes\{status="completed"\} (\d+)$/m) >= 1);
    assert.equal(value(/^millrace_queue_messages\{queue="tasks",state="dead_lettered"\} (\d+)$/m), 0);
    assert.match(text, /^millrace_http_request_duration_seconds_count\{method="GET",route="\/api\/processes\/:id",status="200"\} \d+$/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const doc = (await app.inject('/api/openapi.json')).json();
    assert.equal(doc.openapi.slice(0, 2), '3.');
    const start = doc.paths['/api/processes'].post;
    assert.deepEqual(start.requestBody.content['application/json'].schema.required, ['definition']);
    assert.ok(doc.paths['/api/processes/{id}/cancel'].post);
    assert.ok(doc.paths['/api/queues/{name}/dead-letters'].get);
    assert.equal(doc.paths['/metrics'], undefined, 'internal routes are hidden');
  });

  it('shows queue depth and dead letters, and requeues one', async () => {
    const queues = (await app.inject('/api/queues')).json();
    assert.deepEqual(queues.queues.map((q: { name: string }) => q.name), ['tasks', 'millrace.results']);
    const tasks = (await app.inject('/api/queues/tasks')).json();
    assert.deepEqual(Object.keys(tasks).sort(), ['deadLettered', 'delayed', 'inFlight', 'name', 'ready', 'redelivered']);
    assert.deepEqual((await app.inject('/api/queues/tasks/dead-letters?limit=5')).json(), { deadLetters: [] });
    const missing = await app.inject({ method: 'POST', url: '/api/queues/tasks/dead-letters/nope/requeue' });
    assert.equal(missing.statusCode, 404);
    assert.equal((await app.inject('/api/queues/bad%20name')).statusCode, 400);
  });

  it('drops a dead letter for good, and answers 404 for one that is not there', async () => {
    await millrace.queue.publish('parked', [{ id: 'poison-1', name: 'n', payload: 1 }, { id: 'poison-2', name: 'n', payload: 2 }]);
    const consumer = millrace.queue.consume('parked', (d) => d.nack({ requeue: false, reason: 'poison' }), { concurrency: 1 });
    while ((await millrace.queue.stats('parked')).deadLettered < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.stop();
    const dropped = await app.inject({ method: 'DELETE', url: '/api/queues/parked/dead-letters/poison-1' });
    assert.equal(dropped.statusCode, 200, dropped.body);
    assert.deepEqual(dropped.json(), { dropped: 'poison-1' });
    assert.deepEqual((await app.inject('/api/queues/parked/dead-letters')).json().deadLetters.map((d: { id: string }) => d.id), ['poison-2']);
    assert.equal((await app.inject('/api/queues/parked')).json().ready, 0, 'dropped, not requeued');
    const again = await app.inject({ method: 'DELETE', url: '/api/queues/parked/dead-letters/poison-1' });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'QUEUE_MESSAGE_NOT_FOUND');
  });

  it('reads and changes the engine dials, with their audit log', async () => {
    const changed = await app.inject({ method: 'PATCH', url: '/api/dials', payload: { 'workers.concurrency': 24 } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(changed.json().changes.map((c: { dial: string; to: number; by: string }) => [c.dial, c.to, c.by]), [['workers.concurrency', 24, 'anonymous (no auth)']]);
    const read = (await app.inject('/api/dials')).json();
    assert.equal(read.dials['workers.concurrency'], 24);
    const bad = await app.inject({ method: 'PATCH', url: '/api/dials', payload: { 'workers.concurrency': 0 } });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /workers.concurrency must be an integer from 1/);
    const unknown = await app.inject({ method: 'PATCH', url: '/api/dials', payload: { speed: 3 } });
    assert.match(unknown.json().error.message, /body/);
  });

  it('answers health and readiness', async () => {
    assert.deepEqual((await app.inject('/api/health')).json(), { status: 'ok' });
    assert.equal((await app.inject('/api/ready')).statusCode, 200);
  });

  it('listens on loopback only until authentication exists', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) assertLoopback(host);
    for (const host of ['0.0.0.0', '192.168.1.10', '::']) assert.throws(() => assertLoopback(host), { code: 'CONFIG_INVALID', message: /refusing to listen on/ });
  });
});
