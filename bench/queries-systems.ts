/**
 * @module bench/queries-systems
 * The systems the queries benchmark measures, each started as child
 * processes over the generated dataset and stopped after its round:
 *
 * ```
 *  millrace       bench/queries-server.ts, embedded: in-memory query queue, query threads (one a core)
 *  brute-force    the same with every query at the base level (no pyramid) and no cache
 *  cluster-N      bench/queries-server.ts on RabbitMQ + PostgreSQL with no query threads,
 *                 and N `millrace worker --queries --threads 1` processes answering strips
 * ```
 *
 * Blobs stay files: every process gets a data directory of its own whose
 * `blobs` is a link to the dataset's (one machine, so a shared folder
 * stands in for S3; the cluster's queue and store are the real ones).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchema, freshSchemaName, POSTGRES_URL } from '../test/helpers/postgres.js';
import { deleteQueues, freshPrefix, RABBITMQ_URL } from '../test/helpers/rabbitmq.js';
import type { BenchDataset } from './queries-load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = fileURLToPath(new URL('./queries-server.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

export type SystemName = 'millrace' | 'brute-force' | `cluster-${number}`;

export interface RunningSystem {
  url: string;
  close(): Promise<void>;
}

export async function startSystem(name: SystemName, dataset: BenchDataset): Promise<RunningSystem> {
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-q-'));
    symlinkSync(join(dataset.root, 'blobs'), join(dir, 'blobs'), 'dir');
    dirs.push(dir);
    return dir;
  };
  const children: Child[] = [];
  const cluster = /^cluster-(\d+)$/.exec(name);
  const schema = freshSchemaName();
  const prefix = freshPrefix();
  const env: Record<string, string> = cluster === null ? {} : { MILLRACE_QUEUE: `${RABBITMQ_URL}?prefix=${encodeURIComponent(prefix)}`, MILLRACE_STORE: `${POSTGRES_URL}?schema=${schema}` };
  const close = async (): Promise<void> => {
    await Promise.all(children.map((child) => child.stop()));
    if (cluster !== null) {
      await deleteQueues(prefix, ['millrace.queries', 'tasks', 'millrace.results']).catch(() => undefined);
      await dropSchema(schema).catch(() => undefined);
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const server = start([SERVER, '--data-dir', dataDir(), ...(name === 'brute-force' ? ['--brute-force'] : [])], env);
    children.push(server);
    const url = (await server.waitFor(/listening (\S+)/))[1]!;
    for (let k = 0; k < Number(cluster?.[1] ?? 0); k++) {
      const worker = start([CLI, 'worker', '--queries', '--threads', '1', '--data-dir', dataDir()], { ...env, MILLRACE_LOG_LEVEL: 'warn' });
      children.push(worker);
      await worker.waitFor(/millrace worker ready/);
    }
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface Child {
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

function start(args: string[], env: Record<string, string>): Child {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MILLRACE_')));
  // 16 I/O threads, as the installed `millrace` launcher gives (bin/millrace.cjs); tsx loads modules through the pool, so it is set here.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { UV_THREADPOOL_SIZE: '16', ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-5000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    waitFor: (pattern, timeoutMs = 120_000) => new Promise((resolve, reject) => {
      const started = Date.now();
      const look = (): void => {
        const match = pattern.exec(out);
        if (match !== null) return resolve(match);
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${args.slice(0, 2).join(' ')} exited before printing ${pattern}: ${err}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`${args.slice(0, 2).join(' ')} did not print ${pattern} within ${timeoutMs} ms: ${err}`));
        setTimeout(look, 50);
      };
      look();
    }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
