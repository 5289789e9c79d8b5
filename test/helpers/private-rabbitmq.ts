/**
 * A RabbitMQ node of a test's own, so that a test can restart a broker
 * for real (`rabbitmqctl stop_app` / `start_app`: connections dropped,
 * durable queues and persistent messages reloaded from the node's disk)
 * without taking down the broker every other test shares. It runs from the
 * machine's RabbitMQ installation, under a unique node name, on free ports,
 * with its data in a temporary directory, and is halted and removed after.
 *
 * Needs `rabbitmq-server` and `rabbitmqctl` on the PATH and the right to
 * run them as the `rabbitmq` user (root, as on the CI machine).
 * `privateBrokerUnavailable()` names what is missing: suites skip on it
 * outside CI and fail on it under `CI=true`, like a missing service.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isPortOpen, missingService } from './services.js';

const run = promisify(execFile);

export interface PrivateBroker {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the broker application, waits `downMs`, starts it again and waits until it accepts connections. */
  restart(downMs: number): Promise<void>;
  /** Halts the node and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Why a private broker cannot run here, or undefined when it can. */
export async function privateBrokerUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'a private RabbitMQ node needs root (to run rabbitmq-server as the rabbitmq user)';
  try {
    await run('sh', ['-c', 'command -v rabbitmq-server && command -v rabbitmqctl && id -u rabbitmq']);
  } catch {
    return 'a private RabbitMQ node needs rabbitmq-server, rabbitmqctl and a rabbitmq user';
  }
  return undefined;
}

/** Skips (outside CI) or throws (CI=true) when a private broker cannot run, like `requireService`. */
export async function requirePrivateBroker(): Promise<string | false> {
  const why = await privateBrokerUnavailable();
  return why === undefined ? false : missingService(why);
}

export async function startPrivateBroker(): Promise<PrivateBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-rabbitmq-'));
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `millrace-${randomBytes(4).toString('hex')}@localhost`;
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  await run('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node, RABBITMQ_NODE_PORT: String(port), RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'), RABBITMQ_LOG_BASE: join(dir, 'log'), RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'), RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
  };
  const ctl = (...args: string[]) => run('rabbitmqctl', ['-n', node, ...args], { env, timeout: 60_000 });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await ctl('stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run('rabbitmq-server', ['-detached'], { env, timeout: 60_000 });
    await untilListening(port, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    restart: async (downMs) => {
      await ctl('stop_app');
      await sleep(downMs);
      await ctl('start_app');
      await untilListening(port, 60_000);
    },
    stop,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function untilListening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(port)) return;
    await sleep(100);
  }
  throw new Error(`the private RabbitMQ node did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
