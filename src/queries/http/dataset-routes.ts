/**
 * @module queries/http/dataset-routes
 * The dataset API as a Fastify plugin, for whichever server mounts it.
 *
 * ```
 * GET /api/datasets                          datasets: name, revision, files, groups
 * GET /api/datasets/:name                    one dataset: files with their axes, groups
 * GET /api/datasets/:name/heatmap.png        ?files|group, rtMin, rtMax, mzMin, mzMax, width, height, aggregate, scale
 * GET /api/datasets/:name/heatmap.json       the same slots as numbers (no scale)
 * GET /api/datasets/:name/heatmap.bin        the same as float32 (docs/queries.md)
 * GET /api/datasets/:name/chromatogram       ?… points, format=json|binary   (RT → value)
 * GET /api/datasets/:name/spectrum           ?… points, format=json|binary   (m/z → value)
 * ```
 *
 * Answers over one revision of a dataset never change, so every answer
 * carries an ETag (the hash of the normalised query, known before any data
 * is read: a matching If-None-Match is a 304 at no cost). A request that
 * pins `revision` may be cached forever; one that does not, for a minute.
 * A client that disconnects cancels its query (unless another waits for
 * the same answer). Errors are `{ error: { code, message, parameter? } }`
 * with the status of their code; no stack traces.
 */
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MillraceError } from '../../core/errors.js';
import { httpStatusOf } from '../../core/http-status.js';
import type { QueryService } from '../service/query-service.js';
import { invalidParameter, queryError } from '../query-errors.js';
import { registerQueryMetrics } from './query-metrics.js';
import { parseQueryParams } from './query-params.js';

export interface DatasetRoutesOptions {
  service: QueryService;
  /** Seconds a response without a pinned revision may be reused. @defaultValue 60 */
  maxAgeSeconds?: number;
  /**
   * Whether the caller may see a dataset (the server's access policies). A
   * hidden dataset is left out of the list and answers every other route
   * exactly as a missing one does. @defaultValue every dataset is visible
   */
  visible?: (request: FastifyRequest, dataset: string) => Promise<boolean>;
  /** The server's metrics registry: query durations and the cache's counters go there (`query-metrics.ts`). @defaultValue none */
  metrics?: Registry;
}

const QUERY_ROUTES = ['heatmap.png', 'heatmap.json', 'heatmap.bin', 'chromatogram', 'spectrum'] as const;

/**
 * Mounts the dataset routes in their own Fastify scope (with their own
 * error handler).
 *
 * @example
 * ```ts
 * const app = Fastify()
 * await registerDatasetRoutes(app, new QueryService({ blobs, runner }))
 * ```
 */
export async function registerDatasetRoutes(app: FastifyInstance, service: QueryService, options: Omit<DatasetRoutesOptions, 'service'> = {}): Promise<void> {
  await app.register(datasetRoutes, { ...options, service });
}

/** The plugin itself, for `app.register(datasetRoutes, { service })`. */
export async function datasetRoutes(app: FastifyInstance, options: DatasetRoutesOptions): Promise<void> {
  const { service } = options;
  const maxAge = options.maxAgeSeconds ?? 60;
  const visible = options.visible ?? (async () => true);
  const observe = options.metrics === undefined ? undefined : registerQueryMetrics(options.metrics, service);
  const mustSee = async (request: FastifyRequest, name: string): Promise<void> => {
    if (!(await visible(request, name))) throw queryError('DATASET_NOT_FOUND', `no dataset named ${name}`, { dataset: name });
  };
  app.setErrorHandler((error, request, reply) => {
    const code = (error as { code?: unknown }).code;
    const status = httpStatusOf(code);
    if (error instanceof MillraceError && status !== undefined) {
      if (code === 'QUERY_OVERLOADED') void reply.header('retry-after', String(Math.max(1, Number(error.details.retryAfterSeconds) || 1)));
      const parameter = error.details.parameter;
      return reply.status(status).send({ error: { code, message: error.message, ...(typeof parameter === 'string' ? { parameter } : {}) } });
    }
    request.log.error({ code, err: (error as Error).message, url: request.url }, 'dataset request failed');
    const known = error instanceof MillraceError;
    return reply.status(500).send({ error: { code: known ? error.code : 'INTERNAL', message: known && code === 'STORAGE_CORRUPT' ? error.message : 'internal error' } });
  });

  app.get('/api/datasets', async (request) => {
    const datasets = await service.datasets();
    const shown = await Promise.all(datasets.map(({ manifest }) => visible(request, manifest.name)));
    return {
      datasets: datasets.filter((_, index) => shown[index]).map(({ manifest }) => ({
        name: manifest.name, revision: manifest.revision, files: manifest.files.length, groups: Object.keys(manifest.groups),
        storedBytes: manifest.files.reduce((sum, f) => sum + f.ref.size, 0), createdAt: manifest.createdAt,
      })),
    };
  });

  app.get<{ Params: { name: string } }>('/api/datasets/:name', async (request) => {
    await mustSee(request, request.params.name);
    const { manifest } = await service.dataset(request.params.name);
    return {
      name: manifest.name, revision: manifest.revision, createdAt: manifest.createdAt, groups: manifest.groups,
      files: manifest.files.map(({ id, scans, bins, rtMin, rtMax, mzMin, mzMax, source }) => ({ id, scans, bins, rtMin, rtMax, mzMin, mzMax, source: source.kind })),
      limits: { maxWidth: service.limits.maxWidth, maxHeight: service.limits.maxHeight },
    };
  });

  for (const route of QUERY_ROUTES) {
    app.get<{ Params: { name: string }; Querystring: Record<string, unknown> }>(`/api/datasets/:name/${route}`, async (request, reply) => answer(route, request, reply));
  }

  async function answer(route: string, request: FastifyRequest<{ Params: { name: string }; Querystring: Record<string, unknown> }>, reply: FastifyReply): Promise<FastifyReply> {
    const parsed = parseQueryParams(route, request.params.name, request.query);
    // After parsing: a hidden dataset answers a bad query with the same 400 a missing one does.
    await mustSee(request, request.params.name);
    const prepared = await service.prepare(parsed.request, { format: parsed.format, scale: parsed.scale });
    if (parsed.revision !== undefined && parsed.revision !== prepared.query.revision) {
      throw invalidParameter('revision', `dataset ${prepared.query.dataset} is at revision ${prepared.query.revision}, not ${parsed.revision}`);
    }
    const cacheControl = parsed.revision !== undefined ? 'public, max-age=31536000, immutable' : `public, max-age=${maxAge}`;
    void reply.header('etag', prepared.etag).header('cache-control', cacheControl);
    if (matches(request.headers['if-none-match'], prepared.etag)) return reply.status(304).send();
    const disconnected = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableEnded) disconnected.abort();
    };
    reply.raw.on('close', onClose);
    const started = performance.now();
    try {
      const { answer: result, cached } = await service.answer(prepared, { signal: disconnected.signal, client: request.ip });
      observe?.(route, cached, (performance.now() - started) / 1000);
      const { rt, mz, levels, bytesRead, max } = result.summary;
      return reply
        .header('content-type', result.contentType)
        .header('x-millrace-cache', cached ? 'hit' : 'miss')
        .header('x-millrace-rt', `${rt.min},${rt.max},${rt.n}`)
        .header('x-millrace-mz', `${mz.min},${mz.max},${mz.n}`)
        .header('x-millrace-levels', levels.map((l) => `${l.file}:${l.rt},${l.mz}`).join(';'))
        .header('x-millrace-bytes-read', String(bytesRead))
        .header('x-millrace-max', String(max))
        .send(result.body);
    } finally {
      reply.raw.off('close', onClose);
    }
  }
}

/** If-None-Match: `*`, or a list of (possibly weak) tags one of which is ours. */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
