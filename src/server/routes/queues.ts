/**
 * @module server/routes/queues
 * Queue depth and dead letters over HTTP: look (read), requeue and drop (operate).
 */
import type { FastifyInstance } from 'fastify';
import { QUEUE_NAME_PATTERN, type TaskQueue } from '../../ports/task-queue.js';

const NAME = { type: 'string', pattern: QUEUE_NAME_PATTERN.source } as const;

export function registerQueueRoutes(app: FastifyInstance, queue: TaskQueue, known: readonly string[]): void {
  app.get('/api/queues', async () => ({ queues: await Promise.all(known.map(async (name) => ({ name, ...(await queue.stats(name)) }))) }));

  app.get<{ Params: { name: string } }>('/api/queues/:name', {
    schema: { params: { type: 'object', properties: { name: NAME } } },
  }, async (request) => ({ name: request.params.name, ...(await queue.stats(request.params.name)) }));

  app.get<{ Params: { name: string }; Querystring: { limit: number } }>('/api/queues/:name/dead-letters', {
    schema: {
      params: { type: 'object', properties: { name: NAME } },
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
    },
  }, async (request) => ({ deadLetters: await queue.deadLetters(request.params.name, { limit: request.query.limit }) }));

  app.post<{ Params: { name: string; id: string } }>('/api/queues/:name/dead-letters/:id/requeue', {
    schema: { params: { type: 'object', properties: { name: NAME, id: { type: 'string', minLength: 1, maxLength: 200 } } } },
  }, async (request) => {
    await queue.requeueDeadLetter(request.params.name, request.params.id);
    return { requeued: request.params.id };
  });

  app.delete<{ Params: { name: string; id: string } }>('/api/queues/:name/dead-letters/:id', {
    schema: { params: { type: 'object', properties: { name: NAME, id: { type: 'string', minLength: 1, maxLength: 200 } } } },
  }, async (request) => {
    await queue.dropDeadLetter(request.params.name, request.params.id);
    return { dropped: request.params.id };
  });
}
