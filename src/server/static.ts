/**
 * @module server/static
 * Serves the dashboard (`web/`, built by `npm run build` into `web/dist`)
 * at `/`. The page and its assets are open without a token — they hold no
 * data, and the page is where a token is typed in; every `/api` route stays
 * behind the token check. The single-page app's own paths (`/processes/…`,
 * `/queues`, `/workers`, `/streams/…`, `/dials`, `/datasets`, `/viewer`) all answer with `index.html`; any other path is
 * the API's usual 404 (or 401 with auth), so unknown `/api` routes reveal
 * nothing. Hashed assets are cached for a year; the page is revalidated
 * every time, under a strict Content-Security-Policy (no inline script, no
 * other origin).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteAuthConfig } from './auth/require-token.js';

export interface DashboardOptions {
  /** The built dashboard. @defaultValue `web/dist` of this checkout or package */
  root?: string;
}

/** The app's client-side routes; each serves index.html. */
export const DASHBOARD_ROUTES = ['/', '/processes', '/processes/:id', '/queues', '/queues/:name', '/workers', '/streams', '/streams/:name', '/dials', '/datasets', '/datasets/*', '/viewer'] as const;

export const DEFAULT_DASHBOARD_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

export async function registerDashboard(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = options.root ?? DEFAULT_DASHBOARD_ROOT;
  const open = { config: { public: true } satisfies RouteAuthConfig, schema: { hide: true } };
  if (!existsSync(join(root, 'index.html'))) {
    for (const url of DASHBOARD_ROUTES) {
      app.get(url, open, async (_request, reply) => reply.status(503).type('text/plain; charset=utf-8').send(`The dashboard is not built (no ${join(root, 'index.html')}): run \`npm run build\`.\n`));
    }
    return;
  }
  // Loaded here, not at the top: every CLI command imports the server module, and this one (with glob) costs a quarter second.
  const { default: fastifyStatic } = await import('@fastify/static');
  await app.register(fastifyStatic, { root, serve: false });
  const page = (reply: FastifyReply): FastifyReply => reply
    .header('content-security-policy', CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .sendFile('index.html', root, { cacheControl: false });
  for (const url of DASHBOARD_ROUTES) app.get(url, open, async (_request, reply) => page(reply));
  app.get<{ Params: { '*': string } }, RouteAuthConfig>('/assets/*', open, async (request, reply) =>
    reply.sendFile(request.params['*'], join(root, 'assets'), { immutable: true, maxAge: '365d' }));
  // Files Vite copies from web/public (the icon): each gets its own route.
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'index.html') continue;
    app.get(`/${entry.name}`, open, async (_request, reply) => reply.sendFile(entry.name, root, { maxAge: '1d' }));
  }
}
