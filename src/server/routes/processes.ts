/**
 * @module server/routes/processes
 * Start, look at and cancel processes over HTTP. The server's orchestrator
 * runs them; these routes only append commands and read views.
 */
import type { FastifyInstance } from 'fastify';
import type { Orchestrator } from '../../jobs/orchestrator.js';
import type { ProcessStatus } from '../../jobs/process-state.js';

const PROCESS_ID = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } as const;
const STATUSES: readonly ProcessStatus[] = ['running', 'completed', 'failed', 'cancelled'];

interface StartBody {
  definition: string;
  version?: number;
  input?: unknown;
  processId?: string;
}

export function registerProcessRoutes(app: FastifyInstance, orchestrator: Orchestrator): void {
  app.post<{ Body: StartBody }>('/api/processes', {
    schema: {
      body: {
        type: 'object',
        required: ['definition'],
        additionalProperties: false,
        properties: {
          definition: { type: 'string', minLength: 1, maxLength: 200 },
          version: { type: 'integer', minimum: 1 },
          input: {},
          processId: PROCESS_ID,
        },
      },
    },
  }, async (request, reply) => {
    const { definition, version, input, processId } = request.body;
    const id = await orchestrator.startProcess(definition, input ?? null, { version, processId });
    return reply.status(201).header('location', `/api/processes/${id}`).send({ processId: id });
  });

  app.get<{ Querystring: { status?: ProcessStatus; definition?: string; limit?: number } }>('/api/processes', {
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: [...STATUSES] },
          definition: { type: 'string', maxLength: 200 },
          limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 },
        },
      },
    },
  }, async (request) => {
    await orchestrator.refreshIndex();
    return { processes: orchestrator.list(request.query) };
  });

  app.get<{ Params: { id: string } }>('/api/processes/:id', {
    schema: { params: { type: 'object', properties: { id: PROCESS_ID } } },
  }, async (request) => orchestrator.get(request.params.id));

  app.get<{ Params: { id: string } }>('/api/processes/:id/history', {
    schema: { params: { type: 'object', properties: { id: PROCESS_ID } } },
  }, async (request) => ({ events: await orchestrator.history(request.params.id) }));

  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>('/api/processes/:id/cancel', {
    schema: {
      params: { type: 'object', properties: { id: PROCESS_ID } },
      body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 1000 } } },
    },
  }, async (request) => ({ cancelled: await orchestrator.cancel(request.params.id, request.body?.reason ?? 'cancelled through the API') }));
}
