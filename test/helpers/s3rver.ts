/**
 * A local S3-compatible server for tests: s3rver in a child process (see
 * `s3rver-child.ts` for why a child and what it repairs), on a free
 * loopback port, storing under a temp directory removed on `stop`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTempDir } from './temp-dir.js';

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** `127.0.0.1:<port>` */
  host: string;
  /** Stops the server (idempotent) and removes its files. */
  stop(): Promise<void>;
}

export interface StartS3rverOptions {
  /** Honour `If-None-Match: *` on writes, as AWS S3 does. @defaultValue false (s3rver's own behaviour) */
  conditionalWrites?: boolean;
}

const CHILD = fileURLToPath(new URL('./s3rver-child.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** Starts s3rver and resolves once it listens. */
export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const dir = createTempDir('millrace-s3rver-');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--no-warnings', '--import', 'tsx', CHILD], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, S3RVER_DIR: dir.path, S3RVER_CONDITIONAL: options.conditionalWrites === true ? '1' : '0' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await waitForPort(child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    dir.remove();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        }
        dir.remove();
      })();
      return stopping;
    },
  };
}

function waitForPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms: ${stderr()}`)), START_TIMEOUT_MS);
    const onMessage = (message: unknown): void => {
      const port = (message as { port?: unknown }).port;
      if (typeof port !== 'number') return;
      cleanup();
      resolve(port);
    };
    const onExit = (code: number | null): void => fail(new Error(`s3rver exited (${code}) before listening: ${stderr()}`));
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
