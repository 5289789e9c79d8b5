/**
 * @module runtime/config-file
 * `millrace.config.ts` (or `.mjs`, `.js`): the settings of a deployment in
 * a file, typed with `defineConfig`. A file only supplies defaults for the
 * environment variables: a variable that is set wins, and a command-line
 * flag wins over both. So one committed file can describe development,
 * while production overrides a URL through its environment.
 *
 * ```ts
 * // millrace.config.ts
 * import { defineConfig } from 'millrace'
 * export default defineConfig({
 *   queue: 'amqp://mq.internal:5672?prefix=orders',   // credentials: prefer the environment
 *   store: 'postgres://db.internal/millrace?schema=orders',
 *   blobs: 's3://orders-data/millrace',
 *   threads: 4,
 * })
 * ```
 */
import { MillraceError } from '../core/errors.js';

/** What a config file may set. */
export interface MillraceFileConfig {
  /** `MILLRACE_DATA_DIR` */
  dataDir?: string;
  /** `MILLRACE_THREADS` */
  threads?: number;
  /** `MILLRACE_LOG_LEVEL` */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** `MILLRACE_CLAIM_CHECK_BYTES` */
  claimCheckBytes?: number;
  /** `MILLRACE_BLOB_TTL_MS` */
  blobTtlMs?: number;
  /** `MILLRACE_QUEUE`: `amqp://…` */
  queue?: string;
  /** `MILLRACE_STORE`: `postgres://…` */
  store?: string;
  /** `MILLRACE_BLOBS`: `s3://…` */
  blobs?: string;
}

/** Types a config file's default export. */
export function defineConfig(config: MillraceFileConfig): MillraceFileConfig {
  return config;
}

const VARIABLES: Record<keyof MillraceFileConfig, { variable: string; type: 'string' | 'number' }> = {
  dataDir: { variable: 'MILLRACE_DATA_DIR', type: 'string' },
  threads: { variable: 'MILLRACE_THREADS', type: 'number' },
  logLevel: { variable: 'MILLRACE_LOG_LEVEL', type: 'string' },
  claimCheckBytes: { variable: 'MILLRACE_CLAIM_CHECK_BYTES', type: 'number' },
  blobTtlMs: { variable: 'MILLRACE_BLOB_TTL_MS', type: 'number' },
  queue: { variable: 'MILLRACE_QUEUE', type: 'string' },
  store: { variable: 'MILLRACE_STORE', type: 'string' },
  blobs: { variable: 'MILLRACE_BLOBS', type: 'string' },
};

/**
 * The environment variables a config file's settings stand for. The values
 * are checked again, fully, where the variables are read.
 *
 * @throws `CONFIG_INVALID` naming the file and the field
 */
export function configFileVariables(config: unknown, file: string): Record<string, string> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new MillraceError('CONFIG_INVALID', `${file} must export default an object (use defineConfig({ … }))`, { path: file });
  }
  const variables: Record<string, string> = {};
  for (const [field, value] of Object.entries(config)) {
    // Own keys only: `constructor` or `toString` must read as unknown settings, not as Object.prototype's.
    const spec = Object.hasOwn(VARIABLES, field) ? VARIABLES[field as keyof MillraceFileConfig] : undefined;
    if (spec === undefined) {
      throw new MillraceError('CONFIG_INVALID', `${file}: unknown setting "${field}" (known: ${Object.keys(VARIABLES).join(', ')})`, { path: file, field });
    }
    if (value === undefined) continue;
    if (typeof value !== spec.type) {
      throw new MillraceError('CONFIG_INVALID', `${file}: ${field} must be a ${spec.type}, got ${JSON.stringify(value)}`, { path: file, field });
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new MillraceError('CONFIG_INVALID', `${file}: ${field} must be a finite number, got ${String(value)}`, { path: file, field });
    }
    variables[spec.variable] = String(value);
  }
  return variables;
}
