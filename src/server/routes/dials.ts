/**
 * @module server/routes/dials
 * The engine's live dials over HTTP: read them with their audit log, change
 * them (recorded with the caller's token name).
 */
import type { FastifyInstance } from 'fastify';
import type { Log } from '../../ports/log.js';
import { changeDial, DIAL_NAMES, foldDials, readDialChanges, type DialChange } from '../../runtime/engine-dials.js';

export function registerDialRoutes(app: FastifyInstance, log: Log): void {
  app.get('/api/dials', async () => {
    const changes = await readDialChanges(log);
    return { dials: foldDials(changes), changes };
  });

  app.patch<{ Body: Record<string, unknown> }>('/api/dials', {
    schema: {
      body: {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: Object.fromEntries(DIAL_NAMES.map((name) => [name, name === 'routes' ? { type: 'array' } : { type: 'integer' }])),
      },
    },
  }, async (request) => {
    const by = request.token?.name ?? 'anonymous (no auth)';
    const changes: DialChange[] = [];
    for (const [dial, value] of Object.entries(request.body)) changes.push(await changeDial(log, dial, value, by, Date.now()));
    return { changes };
  });
}
