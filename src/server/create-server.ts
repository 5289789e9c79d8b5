/**
 * @module server/create-server
 * The HTTP face of an engine (`millrace server`): health and readiness,
 * and processes. With a token registry every route but health needs a
 * bearer token of a sufficient scope. Without one the API is open, so it
 * may only listen on loopback: an open API on a network interface would
 * let anyone start and cancel work.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { MillraceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Orchestrator } from '../jobs/orchestrator.js';
import { errorHandler, body } from './http-errors.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerProcessRoutes } from './routes/processes.js';
import { requireTokens } from './auth/require-token.js';
import type { TokenRegistry } from './auth/token-registry.js';

export interface CreateServerOptions {
  orchestrator: Orchestrator;
  logger: Logger;
  /** Checks bearer tokens on every route but health. @defaultValue none: an open API, for loopback only */
  tokens?: TokenRegistry;
  /** Readiness, beyond answering at all. @defaultValue always ready */
  ready?: () => { ready: boolean; detail: Record<string, unknown> };
  /** Largest request body. @defaultValue 1 MiB */
  bodyLimitBytes?: number;
  /** Longest a request may take. @defaultValue 30 000 ms */
  requestTimeoutMs?: number;
}

export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // While draining on SIGTERM, new requests get 503 and go to another server.
    return503OnClosing: true,
    // An unknown field is a mistake to report (a typo would otherwise be ignored silently), not to strip.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setErrorHandler(errorHandler(options.logger));
  app.setNotFoundHandler((request, reply) => void reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
  });
  if (options.tokens !== undefined) requireTokens(app, options.tokens);
  registerHealthRoutes(app, options.ready ?? (() => ({ ready: true, detail: {} })));
  registerProcessRoutes(app, options.orchestrator);
  await app.ready();
  return app;
}

/** Without authentication, only loopback addresses are allowed. */
export function assertLoopback(host: string): void {
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return;
  throw new MillraceError('CONFIG_INVALID', `refusing to listen on ${host} without authentication: start the server with --auth tokens (and create one with \`millrace token create\`), or listen on loopback (127.0.0.1 or ::1)`, { field: 'host' });
}
