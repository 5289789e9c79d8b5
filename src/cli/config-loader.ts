/**
 * @module cli/config-loader
 * Finds and applies a config file before a command runs: `--config FILE`,
 * else `MILLRACE_CONFIG`, else the first of `millrace.config.ts`, `.mjs`,
 * `.js` in the current folder. Its settings become defaults for the
 * `MILLRACE_*` variables (a variable already set keeps its value), so every
 * part of the engine, worker threads included, sees one configuration.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MillraceError } from '../core/errors.js';
import { configFileVariables } from '../runtime/config-file.js';
import { registerTypeScript } from './module-loader.js';

const DEFAULT_FILES = ['millrace.config.ts', 'millrace.config.mjs', 'millrace.config.js'];

/** Returns the file applied, if any. */
export async function applyConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const named = explicit ?? (env.MILLRACE_CONFIG === '' ? undefined : env.MILLRACE_CONFIG);
  const file = named === undefined ? DEFAULT_FILES.map((name) => resolve(name)).find((path) => existsSync(path)) : resolve(named);
  if (file === undefined) return undefined;
  if (!existsSync(file)) throw new MillraceError('CONFIG_INVALID', `config file not found: ${named}`, { path: file });
  if (/\.[mc]?ts$/.test(file)) await registerTypeScript(file);
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new MillraceError('CONFIG_INVALID', `cannot load config file ${file}: ${(error as Error).message}`, { path: file }, { cause: error });
  }
  for (const [name, value] of Object.entries(configFileVariables(loaded.default, file))) {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  }
  return file;
}
