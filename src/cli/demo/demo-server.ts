/**
 * @module cli/demo/demo-server
 * The dashboard during and after `millrace demo`: the demo's own engine
 * behind the HTTP API on loopback (no auth, like `millrace server`'s
 * default), started before the examples so their processes can be watched
 * live, and kept until Ctrl-C.
 *
 * Whether to serve at all: `--once` never does and `--serve` always does;
 * otherwise only when a person is watching, meaning standard output is a
 * terminal and CI is not set. So `npm ci && npm run demo` ends by itself
 * in CI, in scripts and under a pipe, and keeps serving in a terminal.
 */
import type { Logger } from '../../core/logger.js';
import type { Millrace } from '../../runtime/millrace.js';
import { createServer } from '../../server/create-server.js';
import { untilStopSignal } from '../signals.js';

export interface DemoServeFlags {
  once?: boolean;
  serve?: boolean;
}

export interface DemoServer {
  url: string;
  /** Resolves on Ctrl-C (SIGINT) or SIGTERM. */
  untilStopped(): Promise<void>;
  close(): Promise<void>;
}

/** Serve unless told not to or nobody is watching (see the module comment). */
export function shouldServe(flags: DemoServeFlags, stdout: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flags.once === true) return false;
  if (flags.serve === true) return true;
  return stdout.isTTY === true && env.CI !== 'true';
}

/** Starts the orchestrator and the API with the dashboard on 127.0.0.1:`port`, or any free port if that one is taken. */
export async function startDemoServer(millrace: Millrace, port: number, logger: Logger = millrace.logger): Promise<DemoServer> {
  await millrace.startOrchestrator();
  const app = await createServer({ orchestrator: millrace.orchestrator, queue: millrace.queue, events: millrace.events, log: millrace.log, logger });
  let url: string;
  try {
    url = await app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw error;
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  }
  return {
    url,
    untilStopped: async () => {
      await untilStopSignal(logger, 'stopping the demo');
    },
    close: () => app.close(),
  };
}
