/**
 * @module runtime/config
 * Settings of an embedded engine, from code or environment variables, with
 * defaults and one clear error per bad value. (Cluster URLs join here with
 * the cluster adapters.)
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { MillraceError } from '../core/errors.js';
import { DEFAULT_BLOB_TTL_MS } from '../jobs/blob-collector.js';
import { DEFAULT_CLAIM_CHECK_BYTES } from '../workers/claim-check.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Options of {@link createMillrace}. Every field may be omitted. */
export interface MillraceConfig {
  /** Where embedded state lives (SQLite files and blobs). @defaultValue `MILLRACE_DATA_DIR` or `./.millrace` */
  dataDir: string;
  /** Worker threads. @defaultValue `MILLRACE_THREADS` or the number of cores */
  threads: number;
  /** Task inputs and results above this many bytes travel as blob references. @defaultValue 65 536 */
  claimCheckBytes: number;
  /** @defaultValue `MILLRACE_LOG_LEVEL` or `'info'` */
  logLevel: LogLevel;
  /**
   * Orphan blobs (claim-check payloads nothing refers to, MapReduce
   * intermediates of ended processes) older than this are deleted by the
   * orchestrator (`jobs/blob-collector`). Must exceed the longest a message
   * may wait in a queue. @defaultValue `MILLRACE_BLOB_TTL_MS` or 86 400 000 (24 h)
   */
  blobTtlMs: number;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Merges options over environment over defaults, validating each field. */
export function resolveConfig(options: Partial<MillraceConfig> = {}, env: NodeJS.ProcessEnv = process.env): MillraceConfig {
  const dataDir = resolve(options.dataDir ?? env.MILLRACE_DATA_DIR ?? '.millrace');
  const threads = options.threads ?? intFromEnv(env, 'MILLRACE_THREADS') ?? availableParallelism();
  const claimCheckBytes = options.claimCheckBytes ?? intFromEnv(env, 'MILLRACE_CLAIM_CHECK_BYTES') ?? DEFAULT_CLAIM_CHECK_BYTES;
  const logLevel = options.logLevel ?? (env.MILLRACE_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  const blobTtlMs = options.blobTtlMs ?? intFromEnv(env, 'MILLRACE_BLOB_TTL_MS') ?? DEFAULT_BLOB_TTL_MS;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) invalid('threads', 'an integer from 1 to 1024', threads);
  if (!Number.isInteger(claimCheckBytes) || claimCheckBytes < 1024) invalid('claimCheckBytes', 'an integer ≥ 1024', claimCheckBytes);
  if (!LOG_LEVELS.includes(logLevel)) invalid('logLevel', LOG_LEVELS.join(' | '), logLevel);
  // A minute at least: a shorter TTL would race uploads with the messages that follow them.
  if (!Number.isSafeInteger(blobTtlMs) || blobTtlMs < 60_000) invalid('blobTtlMs', 'an integer ≥ 60000 (one minute)', blobTtlMs);
  return { dataDir, threads, claimCheckBytes, logLevel, blobTtlMs };
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  // Plain decimal digits: Number() would also take "0x10", "1e3" and " ", none of which anyone means as a count.
  if (!/^\d{1,15}$/.test(raw.trim())) invalid(name, 'a whole number in decimal digits', raw);
  return Number(raw);
}

function invalid(field: string, expected: string, actual: unknown): never {
  throw new MillraceError('CONFIG_INVALID', `${field} must be ${expected}, got ${JSON.stringify(actual)}`, { field });
}
