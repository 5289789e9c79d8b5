/**
 * @module server/routes/live
 * Live updates for the dashboard over Server-Sent Events, and how a browser
 * authenticates for them.
 *
 * - `GET /api/session` (read): who the caller is — `{ auth, scope, name? }`,
 *   so the dashboard knows whether to offer cancel and requeue.
 * - `POST /api/live/tickets` (read): a ticket for one live connection.
 * - `GET /api/live?ticket=…`: the stream. Events: `hello` (recent queue
 *   samples), `process` (a process's view, on start, on end, and as its
 *   steps progress: debounced, see live-hub), `queues` (depth every few
 *   seconds), and a comment every 15 s to keep proxies from closing it.
 *
 * Why tickets: a browser's `EventSource` cannot send an `Authorization`
 * header, and a bearer token in a URL ends up in logs, proxies and browser
 * history, where it stays valid until revoked. A ticket is 192 random bits,
 * held only in this server's memory, valid for 30 s and for one connection:
 * a URL that leaks is useless by the time anyone reads it. (A cookie would
 * also work, but would make every route accept ambient credentials and need
 * CSRF defences; the dashboard keeps its token in `sessionStorage` for the
 * other routes anyway.) The connection ends within `revocationCheckMs` of
 * its token being revoked. Programs that can send headers may call
 * `/api/live` with `Authorization: Bearer` instead. Without authentication
 * the stream is open, like every route. A `process` message goes only to
 * connections whose token may read that process's definition (access
 * policies, re-read with the revocation check).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Orchestrator } from '../../jobs/orchestrator.js';
import type { EventStore } from '../../ports/event-store.js';
import type { TaskQueue } from '../../ports/task-queue.js';
import { body } from '../http-errors.js';
import type { RouteAuthConfig } from '../auth/require-token.js';
import { allows } from '../auth/scopes.js';
import type { TokenInfo, TokenRegistry } from '../auth/token-registry.js';
import type { ResourceAccess } from '../auth/resource-access.js';
import { LiveHub, type LiveMessage } from './live-hub.js';

export interface LiveRoutesOptions {
  orchestrator: Orchestrator;
  queue: TaskQueue;
  queues: readonly string[];
  /** The store the live feed follows; without it `/api/live` answers 503. */
  events: EventStore | undefined;
  tokens: TokenRegistry | undefined;
  /** Process views go only to callers whose policies let them read the process. */
  access: ResourceAccess;
  clock: Clock;
  logger: Logger;
  /** Connections at once. @defaultValue 100 */
  maxClients?: number;
  /** @defaultValue 30 000 ms */
  ticketTtlMs?: number;
  /** @defaultValue 5000 ms */
  revocationCheckMs?: number;
  /** Passed to the hub. @defaultValue 2000 ms */
  sampleMs?: number;
}

const KEEPALIVE_MS = 15_000;
const OPEN: RouteAuthConfig = { public: true };
const MAX_TICKETS = 10_000;

interface Client {
  response: ServerResponse;
  token: TokenInfo | undefined;
  close(): void;
}

export function registerLiveRoutes(app: FastifyInstance, options: LiveRoutesOptions): void {
  const { clock, tokens } = options;
  const tickets = new Map<string, { token: TokenInfo | undefined; expiresAt: number }>();
  const clients = new Set<Client>();
  const hub = options.events === undefined ? undefined : new LiveHub({ ...options, events: options.events });
  let keepalive: Timer | undefined;
  let revocations: Timer | undefined;

  app.get('/api/session', {
    schema: { description: 'The caller: whether the server checks tokens, and the scope this one has.' },
  }, async (request) => (tokens === undefined ? { auth: false, scope: 'admin' } : { auth: true, scope: request.token!.scope, name: request.token!.name }));

  app.post('/api/live/tickets', {
    config: { scope: 'read' },
    schema: { description: 'A one-use ticket (30 s) for GET /api/live, for browsers whose EventSource cannot send a header.' },
  }, async (request, reply) => {
    const now = clock.now();
    for (const [ticket, held] of tickets) if (held.expiresAt <= now) tickets.delete(ticket);
    if (tickets.size >= MAX_TICKETS) return reply.status(503).header('retry-after', '30').send(body('NOT_AVAILABLE', 'too many live tickets outstanding; retry shortly'));
    const ticket = randomBytes(24).toString('base64url');
    const ttl = options.ticketTtlMs ?? 30_000;
    tickets.set(ticket, { token: request.token, expiresAt: now + ttl });
    return reply.status(201).send({ ticket, expiresInMs: ttl });
  });

  app.get<{ Querystring: { ticket?: string } }, RouteAuthConfig>('/api/live', {
    // The global token check needs a header; this route checks its ticket (or header) itself.
    config: OPEN,
    schema: {
      description: 'Server-Sent Events: hello, process, queues.',
      querystring: { type: 'object', additionalProperties: false, properties: { ticket: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' } } },
    },
  }, async (request, reply) => {
    const caller = await authenticate(request, reply);
    if (caller === false) return reply;
    if (hub === undefined) return reply.status(503).send(body('NOT_AVAILABLE', 'live updates need the event store: createServer({ events })'));
    if (clients.size >= (options.maxClients ?? 100)) return reply.status(503).header('retry-after', '10').send(body('NOT_AVAILABLE', 'too many live connections'));
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    response.write('retry: 3000\n\n');
    let unsubscribe: (() => void) | undefined;
    const client: Client = {
      response,
      token: caller,
      close: () => {
        if (!clients.delete(client)) return;
        unsubscribe?.();
        if (clients.size === 0) stopTimers();
        if (!response.writableEnded) response.end();
      },
    };
    clients.add(client);
    request.raw.on('close', client.close);
    startTimers();
    const send = (message: LiveMessage): void => {
      if (message.event === 'process' && !options.access.allows(caller, `process:${message.data.view.definition}`, 'read')) return;
      response.write(`event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`);
    };
    await options.access.refresh();
    try {
      unsubscribe = await hub.subscribe(send);
    } catch (error) {
      options.logger.error({ error: String(error) }, 'live: could not follow the event store');
      client.close();
      return reply;
    }
    if (!clients.has(client)) unsubscribe();
    else response.write(`event: hello\ndata: ${JSON.stringify({ samples: hub.recentSamples() })}\n\n`);
    return reply;
  });

  app.addHook('preClose', async () => {
    for (const client of [...clients]) client.close();
    await hub?.close();
  });

  /** The caller's token, `undefined` without auth, or false once refused (the reply is sent). */
  async function authenticate(request: FastifyRequest<{ Querystring: { ticket?: string } }>, reply: FastifyReply): Promise<TokenInfo | undefined | false> {
    if (tokens === undefined) return undefined;
    const refuse = (message: string): false => {
      void reply.status(401).header('www-authenticate', 'Bearer').send(body('UNAUTHENTICATED', message));
      return false;
    };
    const { ticket } = request.query;
    if (ticket !== undefined) {
      const held = tickets.get(ticket);
      tickets.delete(ticket);
      if (held === undefined || held.expiresAt <= clock.now()) return refuse('the live ticket is unknown, used or expired: ask POST /api/live/tickets for another');
      return held.token;
    }
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? await tokens.verify(header.slice('Bearer '.length).trim()) : undefined;
    if (token === undefined) return refuse('a live ticket (?ticket=, from POST /api/live/tickets) or a bearer token is required');
    if (!allows(token.scope, 'read')) return refuse('this token cannot read');
    return token;
  }

  function startTimers(): void {
    if (keepalive !== undefined) return;
    const ping = (): void => {
      for (const client of clients) client.response.write(': keepalive\n\n');
      keepalive = clock.setTimer(ping, KEEPALIVE_MS);
    };
    keepalive = clock.setTimer(ping, KEEPALIVE_MS);
    if (tokens === undefined) return;
    const check = async (): Promise<void> => {
      try {
        await options.access.refresh();
        const revoked = new Set((await tokens.list()).filter((t) => t.revokedAt !== undefined).map((t) => t.id));
        for (const client of [...clients]) if (client.token !== undefined && revoked.has(client.token.id)) client.close();
      } catch (error) {
        options.logger.warn({ error: String(error) }, 'live: could not re-check tokens');
      }
      if (keepalive !== undefined) revocations = clock.setTimer(() => void check(), options.revocationCheckMs ?? 5000);
    };
    revocations = clock.setTimer(() => void check(), options.revocationCheckMs ?? 5000);
  }

  function stopTimers(): void {
    keepalive?.cancel();
    revocations?.cancel();
    keepalive = undefined;
    revocations = undefined;
  }
}
