/**
 * @module server/routes/processes
 * Start, look at and cancel processes over HTTP. The server's orchestrator
 * runs them; these routes only append commands and read views. Each route
 * asks the access policies about the process's definition: a process the
 * caller may not see is missing from lists and a 404 everywhere else,
 * with the very answer a process that does not exist gets.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MillraceError } from '../../core/errors.js';
import { processNotFound, type Orchestrator } from '../../jobs/orchestrator.js';
import type { ProcessStatus, TaskStatus } from '../../jobs/process-state.js';
import type { ProcessView } from '../../jobs/process-view.js';
import type { AccessAction, ResourceAccess } from '../auth/resource-access.js';

const PROCESS_ID = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } as const;
const STATUSES: readonly ProcessStatus[] = ['running', 'completed', 'failed', 'cancelled'];
const TASK_STATUSES: readonly TaskStatus[] = ['running', 'failed', 'completed'];
/** `<process id>/<step>/<index>`, sent URL-encoded (`%2F`) as one path segment. */
const TASK_ID = { type: 'string', minLength: 1, maxLength: 400 } as const;

interface StartBody {
  definition: string;
  version?: number;
  input?: unknown;
  processId?: string;
}

export function registerProcessRoutes(app: FastifyInstance, orchestrator: Orchestrator, access: ResourceAccess): void {
  /** The process, if the caller may `action` it; otherwise the same error as for a process that does not exist. */
  const visibleProcess = async (request: FastifyRequest, processId: string, action: AccessAction): Promise<ProcessView> => {
    const view = await orchestrator.get(processId);
    if (!(await access.check(request.token, `process:${view.definition}`, action))) throw processNotFound(processId);
    return view;
  };

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
    if (!(await access.check(request.token, `process:${definition}`, 'operate')) || (access.enforced && request.token !== undefined && request.token.scope !== 'admin' && !orchestrator.registry.list().some((d) => d.name === definition))) {
      // The registry's own message would list every definition, the hidden ones too.
      throw definitionUnknown(definition, orchestrator, (name) => access.allows(request.token, `process:${name}`, 'operate'));
    }
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
    if (!access.enforced || request.token === undefined) return { processes: orchestrator.list(request.query) };
    await access.refresh();
    // Filtered before the limit, so a page is full whenever enough visible processes exist.
    const visible = orchestrator.list({ ...request.query, limit: Number.MAX_SAFE_INTEGER }).filter((p) => access.allows(request.token, `process:${p.definition}`, 'read'));
    return { processes: visible.slice(0, request.query.limit ?? 100) };
  });

  app.get<{ Params: { id: string } }>('/api/processes/:id', {
    schema: { params: { type: 'object', properties: { id: PROCESS_ID } } },
  }, async (request) => visibleProcess(request, request.params.id, 'read'));

  app.get<{ Params: { id: string } }>('/api/processes/:id/history', {
    schema: { params: { type: 'object', properties: { id: PROCESS_ID } } },
  }, async (request) => {
    await visibleProcess(request, request.params.id, 'read');
    return { events: await orchestrator.history(request.params.id) };
  });

  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>('/api/processes/:id/cancel', {
    schema: {
      params: { type: 'object', properties: { id: PROCESS_ID } },
      body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 1000 } } },
    },
  }, async (request) => {
    await visibleProcess(request, request.params.id, 'operate');
    return { cancelled: await orchestrator.cancel(request.params.id, request.body?.reason ?? 'cancelled through the API') };
  });

  app.get<{ Params: { id: string }; Querystring: { step?: string; status?: TaskStatus } }>('/api/processes/:id/tasks', {
    schema: {
      params: { type: 'object', properties: { id: PROCESS_ID } },
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { step: { type: 'string', minLength: 1, maxLength: 200 }, status: { type: 'string', enum: [...TASK_STATUSES] } },
      },
    },
  }, async (request) => {
    await visibleProcess(request, request.params.id, 'read');
    return { tasks: await orchestrator.tasks(request.params.id, request.query) };
  });

  app.post<{ Params: { id: string; taskId: string } }>('/api/processes/:id/tasks/:taskId/retry', {
    schema: { params: { type: 'object', properties: { id: PROCESS_ID, taskId: TASK_ID } } },
  }, async (request) => {
    await visibleProcess(request, request.params.id, 'operate');
    const { attempt } = await orchestrator.retryTask(request.params.id, request.params.taskId);
    return { retried: request.params.taskId, attempt };
  });
}

/** What the registry says of an unknown name, listing only the definitions the caller may start. */
function definitionUnknown(name: string, orchestrator: Orchestrator, startable: (name: string) => boolean): MillraceError {
  const known = [...new Set(orchestrator.registry.list().map((d) => d.name))].filter(startable).sort().join(', ') || 'none';
  return new MillraceError('PROCESS_DEFINITION_UNKNOWN', `no process named "${name}" (registered: ${known})`, { process: name });
}
