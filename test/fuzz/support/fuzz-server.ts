/**
 * A real server for the HTTP fuzz test, wired as `millrace server --auth
 * tokens` wires it (src/cli/commands/server.ts): the engine's routes, the
 * stream routes and the dataset routes over a small generated dataset, an
 * embedded engine in a temp dir, listening on a free port. Sentinel files
 * sit next to the blob root: their content must never appear in a response.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SystemClock } from '../../../src/core/clock.js';
import { generateDataset } from '../../../src/queries/generate/generate-dataset.js';
import { registerDatasetRoutes } from '../../../src/queries/http/dataset-routes.js';
import { createMillrace, type Millrace } from '../../../src/runtime/millrace.js';
import { startQueries, type QuerySystem } from '../../../src/runtime/query-system.js';
import { TokenRegistry } from '../../../src/server/auth/token-registry.js';
import { createServer } from '../../../src/server/create-server.js';
import { count } from '../../../src/streams/aggregates/numeric-aggregates.js';
import { registerStreamRoutes } from '../../../src/streams/http/stream-routes.js';
import { stream } from '../../../src/streams/runtime/pipeline.js';
import { tableSink } from '../../../src/streams/runtime/sinks.js';
import { eventTime } from '../../../src/streams/time/time-assigner.js';
import { tumbling } from '../../../src/streams/windows/window-spec.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { squares } from '../../fixtures/processes.js';

/** Text that only the sentinel files hold. */
export const SENTINEL = 'MILLRACE-SENTINEL-7f3a9c-do-not-serve';

export interface FuzzServer {
  app: FastifyInstance;
  origin: string;
  port: number;
  tokens: Record<'read' | 'operate' | 'admin' | 'revoked', string>;
  /** The sentinel next to the blob root. */
  sentinelPath: string;
  /** Valid values for path parameters, by parameter name and route. */
  validParam(path: string, param: string): string;
  close(): Promise<void>;
}

interface Click { user: string; at: number }

const perUser = stream<Click>('per-user', { topic: 'clicks' })
  .keyBy((click) => click.user, { time: eventTime<Click>('at'), partitions: 2 })
  .window(tumbling({ size: 1_000 }))
  .aggregate(count)
  .to(tableSink('user-counts'));

export async function startFuzzServer(options: { requestTimeoutMs: number; headersTimeoutMs?: number }): Promise<FuzzServer> {
  const dir: TempDir = createTempDir('millrace-fuzz-');
  // Next to the blob root (dataDir/blobs) and inside it, but outside the blobs themselves.
  writeFileSync(join(dir.path, 'secret.txt'), SENTINEL);
  let millrace: Millrace | undefined;
  let queries: QuerySystem | undefined;
  try {
    millrace = await createMillrace({ dataDir: dir.path, logLevel: 'silent' });
    writeFileSync(join(dir.path, 'blobs', 'secret.txt'), SENTINEL);
    millrace.orchestrator.register(squares);
    await millrace.startOrchestrator();
    await millrace.orchestrator.startProcess('squares', { n: 2 }, { processId: 'fuzz-p' });
    await millrace.log.createTopic('clicks', { partitions: 2 });
    await millrace.log.createTopic('orders', { partitions: 1 });
    await millrace.log.createTopic('user-counts', { partitions: 1 });
    await generateDataset({ blobs: millrace.blobs, name: 'runs', files: 2, scans: 64, bins: 256, tileRows: 16, tileCols: 64, seed: 5 });
    queries = await startQueries(millrace, { threads: 1 });
    const registry = new TokenRegistry({ events: millrace.events, clock: new SystemClock() });
    const tokens = { read: '', operate: '', admin: '', revoked: '' };
    for (const scope of ['read', 'operate', 'admin'] as const) tokens[scope] = (await registry.create(`fuzz-${scope}`, scope)).token;
    const revoked = await registry.create('fuzz-revoked', 'admin');
    await registry.revoke(revoked.info.id);
    tokens.revoked = revoked.token;
    const engine = millrace;
    const service = queries.service;
    const app = await createServer({
      orchestrator: engine.orchestrator, queue: engine.queue, events: engine.events, log: engine.log, logger: engine.logger, tokens: registry,
      requestTimeoutMs: options.requestTimeoutMs, headersTimeoutMs: options.headersTimeoutMs,
      // The fuzz sends thousands of requests a minute with one token.
      rateLimitPerMinute: 1_000_000,
      plugins: [
        (server) => registerStreamRoutes(server, {
          log: engine.log, checkpoints: engine.checkpoints, pipelines: [perUser],
          microBatches: [{ name: 'orders-batch', source: 'orders' }], tables: [{ name: 'user-counts', topic: 'user-counts' }],
        }),
        (server) => registerDatasetRoutes(server, service),
      ],
    });
    const origin = await app.listen({ host: '127.0.0.1', port: 0 });
    const port = Number(new URL(origin).port);
    const close = async (): Promise<void> => {
      await app.close();
      await queries?.close();
      await engine.close();
      dir.remove();
    };
    return { app, origin, port, tokens, sentinelPath: join(dir.path, 'secret.txt'), validParam, close };
  } catch (error) {
    await queries?.close();
    await millrace?.close();
    dir.remove();
    throw error;
  }
}

const VALID: Array<[RegExp, string]> = [
  [/^\/api\/processes\/\{id\}/, 'fuzz-p'],
  [/^\/api\/queues\/\{name\}/, 'tasks'],
  [/^\/api\/datasets\/\{name\}/, 'runs'],
  [/^\/api\/streams\/\{topic\}/, 'clicks'],
  [/^\/api\/streams\/\{name\}\/dials/, 'orders-batch'],
  [/^\/api\/streams\/\{name\}/, 'per-user'],
  [/^\/api\/tables\/\{name\}/, 'user-counts'],
];

function validParam(path: string, param: string): string {
  if (param === 'key') return 'u1';
  if (param === 'id' && path.includes('dead-letters')) return 'no-such-message';
  return VALID.find(([pattern]) => pattern.test(path))?.[1] ?? 'x';
}
