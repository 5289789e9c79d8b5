/**
 * Local services for integration tests. Without CI a missing service skips
 * the suite with one line naming it; with CI=true it is a failure, because a
 * green run that tested nothing would hide a broken adapter.
 */
import { Socket } from 'node:net';

export type ServiceName = 'postgres' | 'rabbitmq' | 'redis' | 'nats';

const PORTS: Record<ServiceName, number> = { postgres: 5432, rabbitmq: 5672, redis: 6379, nats: 4222 };

/** True when something accepts TCP connections on the service's port on 127.0.0.1. */
export function isServiceUp(name: ServiceName, timeoutMs = 1000): Promise<boolean> {
  return isPortOpen(PORTS[name], timeoutMs);
}

/** True when something accepts TCP connections on `port` on 127.0.0.1. */
export function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

/**
 * Returns a skip reason (for `describe(..., { skip })`) when the service is
 * down outside CI; throws when it is down under CI.
 */
export async function requireService(name: ServiceName): Promise<string | false> {
  if (await isServiceUp(name)) return false;
  return missingService(`${name} is not reachable on 127.0.0.1:${PORTS[name]}`);
}

/** The skip reason for something a suite needs and lacks (`why`); under CI=true, a failure instead. */
export function missingService(why: string): string {
  if (process.env.CI === 'true') throw new Error(`${why} (CI=true: a missing service is a failure)`);
  return `skipped: ${why}`;
}
