/**
 * `millrace server`: the orchestrator and the HTTP API of a deployment,
 * plus worker threads when embedded. In a cluster (MILLRACE_QUEUE set) it
 * runs no tasks by default: `millrace worker` processes do.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { SystemClock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { createMillrace, type RunningWorker } from '../../runtime/millrace.js';
import { PolicyRegistry } from '../../server/auth/policy-registry.js';
import { ResourceAccess } from '../../server/auth/resource-access.js';
import { TokenRegistry } from '../../server/auth/token-registry.js';
import { parseRoute, type TaskRoute } from '../../jobs/task-routing.js';
import { Scheduler } from '../../jobs/scheduler.js';
import type { FastifyInstance } from 'fastify';
import { registerDatasetRoutes } from '../../queries/http/dataset-routes.js';
import { registerStreamRoutes } from '../../streams/http/stream-routes.js';
import { startQueries } from '../../runtime/query-system.js';
import type { TaskEnded } from '../../jobs/process-index.js';
import { parsePrescaleWindow, type PrescaleWindow } from '../../workers/scaler/prescale.js';
import { QueueScaler } from '../../workers/scaler/queue-scaler.js';
import { sumWorkerStats } from '../../workers/task-worker.js';
import { scaleHook } from '../scale-hook.js';
import { assertLoopback, createServer, type RoutePluginContext } from '../../server/create-server.js';
import { loadUserModule, type LoadedModule } from '../module-loader.js';
import { intOption } from '../parse.js';
import { untilStopSignal } from '../signals.js';

type AuthMode = 'none' | 'tokens';

interface ServerFlags {
  scale?: { min: number; max: number };
  threadsPerWorker: number;
  scaleHook?: string;
  prescale: PrescaleWindow[];
  queries: boolean;
  queryThreads?: number;
  route: TaskRoute[];
  host: string;
  auth: AuthMode;
  port: number;
  threads?: number;
  localDispatch: boolean;
  dataDir?: string;
}

export const DEFAULT_PORT = 4680;

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run processes (the orchestrator) and the HTTP API; embedded, also their tasks on worker threads')
    .argument('[modules...]', 'modules exporting process definitions and their tasks, e.g. examples/page-hits')
    .option('--host <address>', 'address to listen on (any address needs --auth tokens)', '127.0.0.1')
    .option('--auth <mode>', 'none (loopback only) | tokens (every route but health needs a bearer token)', authOption, (process.env.MILLRACE_AUTH ?? 'none') as AuthMode)
    .option('--port <n>', 'port to listen on (0: any free port)', intOption(0, 65_535), DEFAULT_PORT)
    .option('--threads <n>', 'worker threads running tasks here (default: cores when embedded, 0 with MILLRACE_QUEUE set)', intOption(0, 1024))
    .option('--scale <min-max>', 'run the cluster scaler: how many workers the task queue needs, within these bounds (GET /api/scaling, /metrics)', rangeOption)
    .option('--threads-per-worker <n>', 'threads of each worker process, for the scaler', intOption(1, 1024), 1)
    .option('--scale-hook <command>', 'shell command run when the desired worker count changes (MILLRACE_DESIRED_WORKERS in its environment)')
    .option('--prescale <window>', "with --scale: keep at least min workers from each fire time of a cron schedule, e.g. '45 8 * * 1-5 tz=Europe/Berlin min=20 for=2h' (repeatable)", collectPrescale, [])
    .option('--no-queries', 'do not serve dataset queries (/api/datasets)')
    .option('--query-threads <n>', 'threads answering query strips here (default: cores when embedded, 0 with MILLRACE_QUEUE set: millrace worker --queries does)', intOption(0, 1024))
    .option('--no-local-dispatch', "send every task through the queue, also those this server's own threads could take straight from the orchestrator (docs/jobs.md#in-process-dispatch)")
    .option('--route <task=tag:share>', 'send a share of a task type to workers with a tag, e.g. resize=v2:0.1 (repeatable)', collectRoute, [])
    .option('--data-dir <dir>', 'embedded state directory (default: MILLRACE_DATA_DIR or ./.millrace)')
    .action(async (modules: string[], flags: ServerFlags) => {
      authOption(flags.auth);
      if (flags.auth === 'none') assertLoopback(flags.host);
      if (flags.prescale.length > 0 && flags.scale === undefined) throw new InvalidArgumentError('--prescale raises the floor of the cluster scaler: give --scale <min-max> too');
      const loaded: LoadedModule[] = [];
      for (const path of modules) loaded.push(await loadUserModule(path));
      const millrace = await createMillrace({ dataDir: flags.dataDir, routes: flags.route });
      const threads = flags.threads ?? (millrace.backends.queue.kind === 'sqlite' ? availableParallelism() : 0);
      const workers: RunningWorker[] = [];
      try {
        for (const module of loaded) for (const definition of module.processes) millrace.orchestrator.register(definition);
        if (threads > 0) {
          if (loaded.length === 0) throw new MillraceError('CONFIG_INVALID', `--threads ${threads} asks for worker threads, but no module with tasks was given`);
          for (const module of loaded) workers.push(await millrace.startWorker({ tasks: module.url, threads, ...(flags.localDispatch ? {} : { localDispatch: false }) }));
        }
        await millrace.startOrchestrator();
        const scaler = flags.scale === undefined ? undefined : new QueueScaler({
          queue: millrace.queue, queueName: millrace.orchestrator.taskQueue, policy: flags.scale, threadsPerWorker: flags.threadsPerWorker, prescale: flags.prescale,
          clock: new SystemClock(), logger: millrace.logger,
          onChange: flags.scaleHook === undefined ? undefined : scaleHook(flags.scaleHook, millrace.orchestrator.taskQueue, millrace.logger),
        });
        if (scaler !== undefined) {
          millrace.orchestrator.index.events.on('task', (task: TaskEnded) => scaler.taskEnded(task));
          scaler.start();
        }
        const queries = flags.queries ? await startQueries(millrace, { threads: flags.queryThreads }) : undefined;
        const schedules = loaded.flatMap((m) => m.schedules);
        const scheduler = schedules.length === 0 ? undefined : new Scheduler({
          schedules, checkpoints: millrace.checkpoints, clock: new SystemClock(), logger: millrace.logger,
          start: (definition, input, options) => millrace.orchestrator.startProcess(definition, input, options),
        });
        scheduler?.start();
        const tokens = flags.auth === 'tokens' ? new TokenRegistry({ events: millrace.events, clock: new SystemClock() }) : undefined;
        // Policies name tokens, so without tokens there is nobody to tell apart (docs/server.md#access-policies).
        const access = new ResourceAccess(tokens === undefined ? undefined : new PolicyRegistry({ events: millrace.events, clock: new SystemClock() }));
        if (tokens !== undefined && !(await tokens.any())) millrace.logger.warn({}, 'no API tokens yet: every request but health is refused until you run `millrace token create`');
        const app = await createServer({
          orchestrator: millrace.orchestrator,
          queue: millrace.queue,
          events: millrace.events,
          log: millrace.log,
          scaling: scaler === undefined ? undefined : () => scaler.status(),
          plugins: [
            (server, { metrics }) => registerStreamRoutes(server, { log: millrace.log, checkpoints: millrace.checkpoints, pipelines: loaded.flatMap((m) => m.pipelines), metrics }),
            ...(queries === undefined ? [] : [(server: FastifyInstance, { metrics }: RoutePluginContext) => registerDatasetRoutes(server, queries.service, { visible: (request, name) => access.check(request.token, `dataset:${name}`, 'read'), metrics })]),
          ],
          workerStats: workers.length === 0 ? undefined : () => sumWorkerStats(workers.map((worker) => worker.stats())),
          tasksWaitingInProcess: workers.length === 0 ? undefined : () => workers.reduce((sum, worker) => sum + worker.stats().localWaiting, 0),
          tokens,
          access,
          logger: millrace.logger,
          ready: () => ({ ready: true, detail: { backends: millrace.describeBackends, workers: workers.length } }),
        });
        const address = await app.listen({ host: flags.host, port: flags.port });
        millrace.logger.info({
          address, backends: millrace.describeBackends, threads,
          processes: loaded.flatMap((m) => m.processes.map((p) => `${p.name} v${p.version}`)),
          schedules: loaded.flatMap((m) => m.schedules.map((s) => `${s.name}: ${s.cron} ${s.timezone} → ${s.process}`)),
        }, 'server started');
        process.stdout.write(`millrace server listening on ${address}\n`);
        await untilStopSignal(millrace.logger, 'stopping: no new requests, finishing tasks in hand');
        await app.close();
        await scheduler?.stop();
        await scaler?.stop();
        await queries?.close();
        for (const worker of workers) await worker.stop({ drain: true });
        workers.length = 0;
      } finally {
        for (const worker of workers) await worker.stop({ drain: false });
        await millrace.close();
      }
      millrace.logger.info({}, 'server stopped');
    });
}

function authOption(value: string): AuthMode {
  if (value !== 'none' && value !== 'tokens') throw new InvalidArgumentError(`--auth must be none or tokens, got "${value}"`);
  return value;
}

function collectRoute(value: string, previous: TaskRoute[]): TaskRoute[] {
  try {
    return [...previous, parseRoute(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function collectPrescale(value: string, previous: PrescaleWindow[]): PrescaleWindow[] {
  try {
    return [...previous, parsePrescaleWindow(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function rangeOption(value: string): { min: number; max: number } {
  const match = /^(\d+)-(\d+)$/.exec(value.trim());
  const min = Number(match?.[1]);
  const max = Number(match?.[2]);
  if (match === null || min < 1 || max < min || max > 10_000) throw new InvalidArgumentError(`--scale must read <min>-<max> with 1 ≤ min ≤ max ≤ 10000, got "${value}"`);
  return { min, max };
}
