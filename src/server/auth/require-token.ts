/**
 * @module server/auth/require-token
 * The check in front of every route but health: a bearer token that is
 * known and not revoked (401 otherwise), whose scope covers the route (403
 * otherwise). A route states its scope in `config.scope`; without one,
 * reads need `read` and anything else `operate`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { body } from '../http-errors.js';
import { allows, type Scope } from './scopes.js';
import type { TokenInfo, TokenRegistry } from './token-registry.js';

/** Per-route settings read by the check. */
export interface RouteAuthConfig {
  /** Open without a token (health and readiness only). */
  public?: boolean;
  scope?: Scope;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's token, once checked. */
    token?: TokenInfo;
  }
}

export function requireTokens(app: FastifyInstance, tokens: TokenRegistry): void {
  app.decorateRequest('token', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config as RouteAuthConfig;
    if (config.public === true) return;
    const header = request.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (bearer === undefined || bearer === '') {
      return reply.status(401).header('www-authenticate', 'Bearer').send(body('UNAUTHENTICATED', 'a token is required: send "Authorization: Bearer <token>" (create one with `millrace token create`)'));
    }
    const token = await tokens.verify(bearer);
    if (token === undefined) return reply.status(401).header('www-authenticate', 'Bearer error="invalid_token"').send(body('UNAUTHENTICATED', 'the token is unknown or revoked'));
    const needed = config.scope ?? defaultScope(request);
    if (!allows(token.scope, needed)) {
      return reply.status(403).send(body('FORBIDDEN', `this route needs a token with scope "${needed}"; this one has "${token.scope}"`));
    }
    request.token = token;
    return undefined;
  });
}

function defaultScope(request: FastifyRequest): Scope {
  return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'operate';
}
