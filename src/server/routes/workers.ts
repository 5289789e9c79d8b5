/**
 * @module server/routes/workers
 * `GET /api/workers`: the workers heard from lately (embedded threads and
 * `millrace worker` processes anywhere in the deployment), read from their
 * heartbeats on the Log, so every server gives the same answer.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { WorkerDirectory } from '../../runtime/worker-directory.js';
import { MISSED_BEATS } from '../../runtime/worker-heartbeat.js';

const STRINGS = { type: 'array', items: { type: 'string' } } as const;
const INT = { type: 'integer' } as const;

const WORKER = {
  type: 'object',
  required: ['id', 'host', 'pid', 'tags', 'kinds', 'queues', 'threads', 'concurrency', 'inFlight', 'done', 'failed', 'startedAt', 'beatAt', 'intervalMs', 'state'],
  properties: {
    id: { type: 'string' }, host: { type: 'string' }, pid: INT,
    tags: STRINGS, kinds: { ...STRINGS, description: 'task types it serves' }, queues: STRINGS,
    threads: INT, concurrency: { ...INT, description: 'tasks in flight at once, per queue' }, inFlight: INT,
    waiting: { ...INT, description: 'tasks handed to it in-process by the orchestrator in its process, waiting for a run slot (counted in no queue); absent from workers that predate it' },
    done: { ...INT, description: 'tasks completed since it started' }, failed: { ...INT, description: 'task attempts failed since it started' },
    startedAt: { ...INT, description: 'epoch ms' }, beatAt: { ...INT, description: 'epoch ms of its newest heartbeat' }, intervalMs: INT,
    state: { type: 'string', enum: ['up', 'gone', 'stopped'], description: `gone: silent for ${MISSED_BEATS} heartbeat intervals; stopped: it said so on its way out` },
  },
} as const;

export function registerWorkerRoutes(app: FastifyInstance, directory: WorkerDirectory, clock: Clock): void {
  app.get('/api/workers', {
    schema: {
      description: 'Workers heard from in the last 10 minutes, up ones first.',
      response: { 200: { type: 'object', required: ['workers', 'at'], properties: { at: INT, workers: { type: 'array', items: WORKER } } } },
    },
  }, async () => {
    const workers = await directory.list();
    return { at: clock.now(), workers };
  });
}
