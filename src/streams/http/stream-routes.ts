/**
 * @module streams/http/stream-routes
 * The streams API as a Fastify plugin, for whichever server mounts it.
 *
 * ```
 * POST  /api/streams/:topic/events    events into a Log topic: a JSON array, or NDJSON       operate
 * GET   /api/streams                  every known stream, in brief                           read
 * GET   /api/streams/:name            status: lag per partition, watermarks, late, dead letters, throughput   read
 * GET   /api/streams/:name/results    a pipeline's newest window results (its topic sink): ?limit=   read
 * GET   /api/streams/:name/dials      a micro-batch stream's dials and their audit log       read
 * PATCH /api/streams/:name/dials      change them (through its control topic, as `millrace dial`), recorded with the token's name   operate
 * GET   /api/tables/:name             scan a keyed table: ?prefix=&after=&limit=             read
 * GET   /api/tables/:name/:key        one row                                                read
 * ```
 *
 * Status is read from the stores (end offsets against checkpoints), so it
 * covers runs in other processes. Tables are materialised from their
 * topic on first use and caught up before each answer. Errors are
 * `{ error: { code, message } }` with the status of their code; no stack
 * traces. Each route states its scope in `config.scope` for the server's
 * token check.
 */
import type { Registry } from 'prom-client';
import type { FastifyContextConfig, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SystemClock, type Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { httpStatusOf } from '../../core/http-status.js';
import type { Log } from '../../ports/log.js';
import type { CheckpointStore } from '../../ports/checkpoint-store.js';
import { DIAL_NAMES, currentDials, dialChanges, setDials, type MicroBatchDials } from '../runtime/dials.js';
import type { PipelineDefinition } from '../runtime/pipeline.js';
import { registerStreamMetrics } from './stream-metrics.js';
import { StreamStatusReader } from '../runtime/stream-status.js';
import { ingestEvents, isInternalTopic, parseIngestBody } from './ingest.js';
import { TableReader } from './table-reader.js';
import { recentResults } from './recent-results.js';

export interface StreamRoutesOptions {
  log: Log;
  checkpoints: CheckpointStore;
  /** Pipelines whose status the API reports. @defaultValue none */
  pipelines?: readonly PipelineDefinition[];
  /** Micro-batch streams: name, source topic, and the dials they are started with. @defaultValue none */
  microBatches?: ReadonlyArray<{ name: string; source: string; dials?: Partial<MicroBatchDials> }>;
  /** Keyed tables: a name and the topic they are materialised from (e.g. a `tableSink`'s). @defaultValue none */
  tables?: ReadonlyArray<{ name: string; topic: string }>;
  /** The server's metrics registry: lag, late events and dead letters per stream go there (`stream-metrics.ts`). @defaultValue none */
  metrics?: Registry;
  /** Topics open to ingest. @defaultValue any existing topic but a stream's internal ones (`.keyed`, `.late`, `.dead-letters`, `.dials`) */
  ingestTopics?: (topic: string) => boolean;
  /** Largest ingest body. @defaultValue 1 MiB */
  bodyLimitBytes?: number;
  /** Most events in one request. @defaultValue 10 000 */
  maxEvents?: number;
  /** @defaultValue a `SystemClock` */
  clock?: Clock;
}

/** The token scope each route needs, read by the server's token check (`config.scope`). */
const READ = { scope: 'read' } as FastifyContextConfig;
const OPERATE = { scope: 'operate' } as FastifyContextConfig;

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$' } as const;

/**
 * Mounts the stream routes in their own Fastify scope (with their own
 * error handler and NDJSON parser).
 *
 * @example
 * ```ts
 * await registerStreamRoutes(app, { log: millrace.log, checkpoints: millrace.checkpoints, pipelines: [perPage], tables: [{ name: 'pages', topic: 'page-totals' }] })
 * ```
 */
export async function registerStreamRoutes(app: FastifyInstance, options: StreamRoutesOptions): Promise<void> {
  await app.register(async (scope) => streamRoutes(scope, options));
}

function streamRoutes(app: FastifyInstance, options: StreamRoutesOptions): void {
  const { log, checkpoints } = options;
  const clock = options.clock ?? new SystemClock();
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
  const maxEvents = options.maxEvents ?? 10_000;
  const ingestable = options.ingestTopics ?? ((topic: string) => !isInternalTopic(topic));
  const pipelines = new Map((options.pipelines ?? []).map((definition) => [definition.name, definition]));
  const microBatches = new Map((options.microBatches ?? []).map((stream) => [stream.name, stream]));
  const tables = new TableReader(log, options.tables ?? []);
  const status = new StreamStatusReader({ log, checkpoints, clock });
  if (options.metrics !== undefined) {
    // A reader of its own: a reader's rates are measured between its looks, and scrapes must not move the API's.
    const scraped = new StreamStatusReader({ log, checkpoints, clock });
    registerStreamMetrics(options.metrics, async () => [
      ...(await Promise.all([...pipelines.values()].map((definition) => scraped.pipeline(definition)))),
      ...(await Promise.all([...microBatches.values()].map((stream) => scraped.microBatch(stream.name, stream.source, stream.dials)))),
    ]);
  }

  app.setErrorHandler(errorHandler);
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));

  app.post<{ Params: { topic: string }; Querystring: { key?: string } }>('/api/streams/:topic/events', {
    bodyLimit,
    config: OPERATE,
    schema: {
      params: { type: 'object', properties: { topic: NAME } },
      querystring: { type: 'object', additionalProperties: false, properties: { key: { type: 'string', minLength: 1, maxLength: 200 } } },
    },
  }, async (request, reply) => {
    const { topic } = request.params;
    if (!ingestable(topic)) throw invalid(`topic ${topic} is not open to ingest (a stream's internal topic); send events to its source topic`);
    const events = parseIngestBody(request.body, request.headers['content-type'], maxEvents);
    const positions = await ingestEvents(log, topic, events, request.query.key);
    return reply.status(202).send({ topic, accepted: positions.length, positions });
  });

  app.get('/api/streams', { config: READ }, async () => {
    const streams: unknown[] = [];
    for (const definition of pipelines.values()) {
      const s = await status.pipeline(definition);
      streams.push({ name: s.name, kind: s.kind, source: s.source.topic, lag: s.lag, late: s.late, deadLetters: s.deadLetters, recordsPerSecond: s.recordsPerSecond });
    }
    for (const stream of microBatches.values()) {
      const s = await status.microBatch(stream.name, stream.source, stream.dials);
      streams.push({ name: s.name, kind: s.kind, source: s.source.topic, lag: s.lag, failed: s.failed, deadLetters: s.deadLetters, messagesPerSecond: s.messagesPerSecond });
    }
    return { streams };
  });

  app.get<{ Params: { name: string } }>('/api/streams/:name', {
    config: READ,
    schema: { params: { type: 'object', properties: { name: NAME } } },
  }, async (request) => {
    const { name } = request.params;
    const definition = pipelines.get(name);
    if (definition !== undefined) return status.pipeline(definition);
    const stream = microBatches.get(name);
    if (stream !== undefined) return status.microBatch(stream.name, stream.source, stream.dials);
    throw notFound(`no stream named ${name}; known: ${[...pipelines.keys(), ...microBatches.keys()].join(', ') || 'none'}`);
  });

  const microBatch = (name: string): { name: string; source: string; dials?: Partial<MicroBatchDials> } => {
    const stream = microBatches.get(name);
    if (stream === undefined) throw notFound(`no micro-batch stream named ${name}; known: ${[...microBatches.keys()].join(', ') || 'none'}`);
    return stream;
  };

  app.get<{ Params: { name: string } }>('/api/streams/:name/dials', {
    config: READ,
    schema: { params: { type: 'object', properties: { name: NAME } } },
  }, async (request) => {
    const stream = microBatch(request.params.name);
    return { name: stream.name, dials: await currentDials(log, stream.name, stream.dials), changes: await dialChanges(log, stream.name, stream.dials) };
  });

  app.get<{ Params: { name: string }; Querystring: { limit: number } }>('/api/streams/:name/results', {
    config: READ,
    schema: {
      params: { type: 'object', properties: { name: NAME } },
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
    },
  }, async (request) => {
    const definition = pipelines.get(request.params.name);
    if (definition === undefined) throw notFound(`no pipeline named ${request.params.name}; known: ${[...pipelines.keys()].join(', ') || 'none'}`);
    return recentResults(log, definition, request.query.limit);
  });

  app.patch<{ Params: { name: string }; Body: Partial<MicroBatchDials> }>('/api/streams/:name/dials', {
    config: OPERATE,
    schema: {
      params: { type: 'object', properties: { name: NAME } },
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: Object.fromEntries(DIAL_NAMES.map((dial) => [dial, { type: 'integer', minimum: dial === 'maxWaitMs' ? 0 : 1 }])),
      },
    },
  }, async (request) => {
    const stream = microBatch(request.params.name);
    // The server's token check sets `token` (server/auth); without auth there is no name to record.
    const by = (request as { token?: { name?: string } }).token?.name ?? 'anonymous (no auth)';
    await setDials(log, stream.name, request.body, by);
    return { name: stream.name, changed: request.body, dials: await currentDials(log, stream.name, stream.dials) };
  });

  app.get<{ Params: { name: string }; Querystring: { prefix?: string; after?: string; limit: number } }>('/api/tables/:name', {
    config: READ,
    schema: {
      params: { type: 'object', properties: { name: NAME } },
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { prefix: { type: 'string', maxLength: 1000 }, after: { type: 'string', maxLength: 1000 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
    },
  }, async (request) => {
    const { prefix = '', after, limit } = request.query;
    const rows = await tables.scan(request.params.name, prefix, after, limit);
    return { table: request.params.name, rows, next: rows.length === limit ? rows.at(-1)!.key : null };
  });

  app.get<{ Params: { name: string; key: string } }>('/api/tables/:name/:key', {
    config: READ,
    schema: { params: { type: 'object', properties: { name: NAME, key: { type: 'string', minLength: 1, maxLength: 1000 } } } },
  }, async (request) => {
    const { name, key } = request.params;
    const row = await tables.get(name, key);
    if (row === undefined) throw notFound(`table ${name} has no row ${JSON.stringify(key)}`);
    return { table: name, key, value: row.value };
  });
}

function invalid(message: string): MillraceError {
  return new MillraceError('CONFIG_INVALID', message);
}

/** A 404 with code NOT_FOUND (a local code: the engine's codes name what is missing more narrowly). */
function notFound(message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code: 'NOT_FOUND' });
}

function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    const first = fastifyError.validation[0];
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const field = [first?.instancePath.replace(/^\//, '').replaceAll('/', '.'), missing].filter((part) => part !== undefined && part !== '').join('.');
    void reply.status(400).send(body('REQUEST_INVALID', `${fastifyError.validationContext ?? 'request'}${field === '' ? '' : `.${field}`} ${first?.message ?? 'is invalid'}`));
    return;
  }
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'INTERNAL';
  const known = httpStatusOf(code);
  if (known !== undefined) {
    void reply.status(known).send(body(code, error.message));
    return;
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    void reply.status(415).send(body('REQUEST_INVALID', `content-type ${request.headers['content-type'] ?? '(none)'} is not accepted; send application/json or application/x-ndjson`));
    return;
  }
  // Fastify's own client errors (a body too large, an unsupported content type) keep their status.
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    void reply.status(fastifyError.statusCode).send(body(code, error.message));
    return;
  }
  request.log.error({ err: error }, 'stream route failed');
  void reply.status(500).send(body('INTERNAL', 'internal error'));
}

function body(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
