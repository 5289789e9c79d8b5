/**
 * @module bench/queries-server
 * The server under test in the queries benchmark, as a child process of
 * its own (so the simulated users do not share its event loop): the engine
 * as `millrace server` wires it (`createMillrace`, `startQueries`,
 * `createServer` with the dataset routes), minus the rate limit (100 users
 * come from one address) and the dashboard.
 *
 * ```
 * node --import tsx bench/queries-server.ts --data-dir DIR [--threads N] [--brute-force]
 *   DIR/blobs holds the dataset; MILLRACE_QUEUE / MILLRACE_STORE pick a cluster, as for millrace server
 *   --threads     query threads in this process (default: cores when embedded, 0 on a cluster queue)
 *   --brute-force every query at the base level (every cell within bounds, no pyramid), no cache
 * ```
 * Prints `listening <url>` when ready; stops on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { registerDatasetRoutes } from '../src/queries/http/dataset-routes.js';
import { createMillrace } from '../src/runtime/millrace.js';
import { startQueries } from '../src/runtime/query-system.js';
import { createServer } from '../src/server/create-server.js';

const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, threads: { type: 'string' }, 'brute-force': { type: 'boolean', default: false } } });
if (values['data-dir'] === undefined) throw new Error('--data-dir is required');
const millrace = await createMillrace({ dataDir: values['data-dir'], logLevel: 'warn' });
const queries = await startQueries(millrace, {
  threads: values.threads === undefined ? undefined : Number(values.threads),
  service: values['brute-force'] ? { cacheBytes: 0, forceLevel: { rt: 0, mz: 0 } } : {},
});
const app = await createServer({
  orchestrator: millrace.orchestrator, queue: millrace.queue, logger: millrace.logger, dashboard: false,
  rateLimitPerMinute: 1_000_000_000, plugins: [(server) => registerDatasetRoutes(server, queries.service)],
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${url}\n`);
await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
await app.close();
await queries.close();
await millrace.close();
process.stdout.write(`stopped ${JSON.stringify(queries.service.stats)}\n`);
