/**
 * @module server/routes/scaling
 * `GET /api/scaling`: how many workers the deployment's scaler asks for,
 * and why — for a platform autoscaler or a person to act on.
 */
import type { FastifyInstance } from 'fastify';
import type { QueueScalerStatus } from '../../workers/scaler/queue-scaler.js';
import { body } from '../http-errors.js';

export function registerScalingRoutes(app: FastifyInstance, status: (() => QueueScalerStatus) | undefined): void {
  app.get('/api/scaling', async (_request, reply) => {
    if (status === undefined) return reply.status(404).send(body('NOT_FOUND', 'no scaler runs on this server: start it with --scale <min>-<max>'));
    return status();
  });
}
