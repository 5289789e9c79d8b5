/**
 * A throwaway cluster deployment for tests: a fresh PostgreSQL schema, a
 * fresh RabbitMQ queue prefix, s3rver with a fresh bucket, and the
 * environment variables that point `millrace` processes at them; plus a
 * way to run those processes as children and watch their output.
 * Gate suites with `requireService('postgres')` and `requireService('rabbitmq')`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { dropSchema, freshSchemaName, POSTGRES_URL } from './postgres.js';
import { deleteQueues, freshPrefix, RABBITMQ_URL } from './rabbitmq.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from './s3rver.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ClusterServices {
  /** `MILLRACE_QUEUE`, `MILLRACE_STORE`, `MILLRACE_BLOBS` and S3 credentials. */
  env: Record<string, string>;
  schema: string;
  prefix: string;
  s3: S3rverHandle;
  /** The same deployment with the queue reached through another URL (a proxy a test can cut). */
  withQueueUrl(url: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startClusterServices(): Promise<ClusterServices> {
  const s3 = await startS3rver();
  const bucket = `cluster-${Date.now().toString(36)}`;
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const schema = freshSchemaName();
  const prefix = freshPrefix();
  const queueEnv = (url: string): string => `${url}${url.includes('?') ? '&' : '?'}prefix=${encodeURIComponent(prefix)}`;
  const base = {
    MILLRACE_STORE: `${POSTGRES_URL}?schema=${schema}`,
    MILLRACE_BLOBS: `s3://${bucket}/millrace?endpoint=${encodeURIComponent(s3.endpoint)}&conditionalWrites=false`,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
  return {
    env: { ...base, MILLRACE_QUEUE: queueEnv(RABBITMQ_URL) },
    schema,
    prefix,
    s3,
    withQueueUrl: (url) => ({ ...base, MILLRACE_QUEUE: queueEnv(url) }),
    stop: async () => {
      await deleteQueues(prefix, ['tasks', 'millrace.results']).catch(() => undefined);
      await dropSchema(schema).catch(() => undefined);
      await s3.stop();
    },
  };
}

/** A `millrace` command running as a child process. */
export interface MillraceChild {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`; rejects if the child exits first. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Runs `millrace <args>` from the sources (through tsx), with `env` over a clean copy of this process's. */
export function spawnMillrace(args: string[], env: Record<string, string>): MillraceChild {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MILLRACE_')));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...inherited, MILLRACE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (text, timeoutMs = 60_000) => new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const look = (): void => {
        if (out.includes(text)) return resolve();
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`millrace ${args[0]} exited before printing "${text}": ${err.slice(-3000)}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`millrace ${args[0]} did not print "${text}" within ${timeoutMs} ms: ${err.slice(-3000)}`));
        setTimeout(look, 50);
      };
      look();
    }),
  };
}

/** Stops a child with `signal` and waits for it; SIGKILL after `graceMs`. */
export async function stopChild(child: MillraceChild, signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<number | string> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill(signal);
    const killer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
    const code = await child.exited;
    clearTimeout(killer);
    return code;
  }
  return child.exited;
}

/** The `stats` a worker logs when it stops after draining. */
export function workerStats(child: MillraceChild): { succeeded: number; redeliveries: number } | undefined {
  for (const line of child.stderr().split('\n')) {
    if (!line.includes('"worker stopped"')) continue;
    const stats = (JSON.parse(line) as { stats?: { succeeded: number; redeliveries: number } }).stats;
    if (stats !== undefined) return stats;
  }
  return undefined;
}
