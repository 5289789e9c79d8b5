/**
 * @module server/routes/health
 * Liveness (the process answers) and readiness (it can do its job: the
 * orchestrator runs). The only routes that will stay open without a token.
 */
import type { FastifyInstance } from 'fastify';

export function registerHealthRoutes(app: FastifyInstance, ready: () => { ready: boolean; detail: Record<string, unknown> }): void {
  app.get('/api/health', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/api/ready', { config: { public: true } }, async (_request, reply) => {
    const state = ready();
    return reply.status(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'starting', ...state.detail });
  });
}
