/**
 * @module core/logger
 * Structured (JSON lines) logging through pino. The engine logs through this
 * narrow interface so an embedding application can hand in its own logger.
 * Fields that may hold secrets are redacted wherever they appear.
 */
import { pino } from 'pino';

/** Structured logger: a context object first, then a short message. */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @defaultValue `'info'`, or `MILLRACE_LOG_LEVEL` */
  level?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where lines go. @defaultValue standard error (standard output stays for command results) */
  destination?: NodeJS.WritableStream;
  /** Name on every line. @defaultValue `'millrace'` */
  name?: string;
}

const REDACTED_PATHS = ['password', 'token', 'secret', 'authorization', '*.password', '*.token', '*.secret', '*.authorization'];

/** Creates the default JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.MILLRACE_LOG_LEVEL as LoggerOptions['level']) ?? 'info';
  return pino(
    { name: options.name ?? 'millrace', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  ) as unknown as Logger;
}

/** A logger that writes nothing (tests, libraries embedded quietly). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
