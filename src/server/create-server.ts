/**
 * @module server/create-server
 * The HTTP face of an engine (`millrace server`): health and readiness,
 * processes, queues, Prometheus metrics, the OpenAPI document, live
 * updates (SSE) and the dashboard that shows them, plus
 * whatever route plugins the domains add (datasets, streams). With a token
 * registry every route but health needs a bearer token of a sufficient
 * scope, and each token has its own rate limit. Without one the API is
 * open, so it may only listen on loopback: an open API on a network
 * interface would let anyone start and cancel work.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { SystemClock, type Clock } from '../core/clock.js';
import { MillraceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Orchestrator } from '../jobs/orchestrator.js';
import type { EventStore } from '../ports/event-store.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { createMetrics, type MetricsSources } from './metrics.js';
import { registerQueueRoutes } from './routes/queues.js';
import { registerDialRoutes } from './routes/dials.js';
import { registerScalingRoutes } from './routes/scaling.js';
import { registerWorkerRoutes } from './routes/workers.js';
import { WorkerDirectory } from '../runtime/worker-directory.js';
import type { QueueScalerStatus } from '../workers/scaler/queue-scaler.js';
import type { Log } from '../ports/log.js';
import { body, clientError, errorHandler, frameworkError } from './http-errors.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLiveRoutes } from './routes/live.js';
import { registerProcessRoutes } from './routes/processes.js';
import { registerDashboard, type DashboardOptions } from './static.js';
import { requireTokens } from './auth/require-token.js';
import type { TokenRegistry } from './auth/token-registry.js';
import { ResourceAccess } from './auth/resource-access.js';

/** What a domain's routes get besides the app: the registry `/metrics` serves, for their own series. */
export interface RoutePluginContext {
  metrics: Registry;
}

/** Adds a domain's routes (datasets, streams) to the server. */
export type RoutePlugin = (app: FastifyInstance, context: RoutePluginContext) => void | Promise<void>;

export interface CreateServerOptions {
  orchestrator: Orchestrator;
  queue: TaskQueue;
  /** The cluster scaler's state, for `/api/scaling` and `/metrics`. */
  scaling?: () => QueueScalerStatus;
  /** Where the engine's dials and worker heartbeats live; without it, no `/api/dials` nor `/api/workers`. */
  log?: Log;
  logger: Logger;
  /** Queues listed by `/api/queues` and measured by `/metrics`. @defaultValue `['tasks', 'millrace.results']` */
  queues?: readonly string[];
  /** Counts of the workers running in this process, for `/metrics`. */
  workerStats?: MetricsSources['workerStats'];
  tasksWaitingInProcess?: MetricsSources['tasksWaitingInProcess'];
  /** Domain routes, mounted after the engine's own. */
  plugins?: readonly RoutePlugin[];
  /** Requests per minute per token (per address without auth). @defaultValue 1200 */
  rateLimitPerMinute?: number;
  /** Checks bearer tokens on every route but health. @defaultValue none: an open API, for loopback only */
  tokens?: TokenRegistry;
  /** Access policies on datasets and process definitions, enforced only with `tokens`. @defaultValue none: every token may do what its scope allows */
  access?: ResourceAccess;
  /** Readiness, beyond answering at all. @defaultValue always ready */
  ready?: () => { ready: boolean; detail: Record<string, unknown> };
  /** Largest request body. @defaultValue 1 MiB */
  bodyLimitBytes?: number;
  /** Longest a request may take. @defaultValue 30 000 ms */
  requestTimeoutMs?: number;
  /** Longest a client may take to send its headers (a slow client holding a connection open is cut off). @defaultValue 10 000 ms, at most `requestTimeoutMs` */
  headersTimeoutMs?: number;
  /** The deployment's event store, followed by `/api/live`. @defaultValue none: `/api/live` answers 503 */
  events?: EventStore;
  /** @defaultValue the system clock */
  clock?: Clock;
  /** Where the built dashboard is, or false for none. @defaultValue `web/dist` */
  dashboard?: DashboardOptions | false;
}

export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout: Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout),
      // Node enforces both timeouts only when it sweeps its connections, every 30 s by default:
      // a 30 s timeout then let a slow client hold a socket for up to a minute.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
    },
    // While draining on SIGTERM, new requests get 503 and go to another server.
    return503OnClosing: true,
    // Longer than any path parameter a route declares (a 200-character name, a 1000-character table key,
    // percent-encoded): Fastify's default of 100 refused valid ids.
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    // An unknown field is a mistake to report (a typo would otherwise be ignored silently), not to strip.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setErrorHandler(errorHandler(options.logger));
  // A route with a schema but none for its query string takes no query parameters: one sent is a
  // mistake to report (a typo, a parameter of another route), as an unknown body field is.
  app.addHook('onRoute', (route) => {
    if (route.schema !== undefined && route.schema.querystring === undefined && route.url.startsWith('/api/')) {
      route.schema = { ...route.schema, querystring: { type: 'object', additionalProperties: false } };
    }
  });
  app.setNotFoundHandler((request, reply) => void reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Millrace API', version: '1' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'millrace token create' } } },
      security: [{ token: [] }],
    },
  });
  if (options.tokens !== undefined) requireTokens(app, options.tokens);
  // After the token check, so a limit is kept per token rather than per address.
  await app.register(rateLimit, {
    max: options.rateLimitPerMinute ?? 1200,
    timeWindow: 60_000,
    keyGenerator: (request) => request.token?.id ?? request.ip,
    allowList: (request) => (request.routeOptions.config as { public?: boolean }).public === true,
    // Thrown by the plugin, so it reaches the error handler: an error with a status, like Fastify's own.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`more than ${context.max} requests a minute with this token; retry in ${Math.ceil(context.ttl / 1000)} s`), { statusCode: 429, code: 'RATE_LIMITED' }),
  });
  const queues = options.queues ?? [options.orchestrator.taskQueue, options.orchestrator.resultQueue];
  const metrics = createMetrics({ index: options.orchestrator.index, queue: options.queue, queues, workerStats: options.workerStats, tasksWaitingInProcess: options.tasksWaitingInProcess, desiredWorkers: options.scaling });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => metrics.close());
  registerHealthRoutes(app, options.ready ?? (() => ({ ready: true, detail: {} })));
  const access = options.access ?? new ResourceAccess();
  registerProcessRoutes(app, options.orchestrator, access);
  registerQueueRoutes(app, options.queue, queues);
  const clock = options.clock ?? new SystemClock();
  if (options.log !== undefined) {
    registerDialRoutes(app, options.log);
    registerWorkerRoutes(app, new WorkerDirectory(options.log, clock), clock);
  }
  registerScalingRoutes(app, options.scaling);
  registerLiveRoutes(app, { orchestrator: options.orchestrator, queue: options.queue, queues, events: options.events, tokens: options.tokens, access, clock, logger: options.logger });
  if (options.dashboard !== false) await registerDashboard(app, options.dashboard);
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  for (const plugin of options.plugins ?? []) await plugin(app, { metrics: metrics.registry });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}

/** Without authentication, only loopback addresses are allowed. */
export function assertLoopback(host: string): void {
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return;
  throw new MillraceError('CONFIG_INVALID', `refusing to listen on ${host} without authentication: start the server with --auth tokens (and create one with \`millrace token create\`), or listen on loopback (127.0.0.1 or ::1)`, { field: 'host' });
}
