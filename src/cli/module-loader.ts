/**
 * @module cli/module-loader
 * Loads a user module named on the command line (a file, or a folder with
 * an `index.ts`/`index.js`), registering the tsx loader first when it is
 * TypeScript, and finds the process definitions it exports. The same module
 * is the worker threads' task module.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MillraceError } from '../core/errors.js';
import { isProcessDefinition, type ProcessDefinition } from '../jobs/process-definition.js';
import { isScheduleDefinition, type ScheduleDefinition } from '../jobs/schedule.js';
import { isPipelineDefinition, type PipelineDefinition } from '../streams/runtime/pipeline.js';

export interface LoadedModule {
  url: URL;
  processes: ProcessDefinition[];
  /** Schedules it exports (`defineSchedule`): `millrace server` runs them. */
  schedules: ScheduleDefinition[];
  /** Stream pipelines it exports: `millrace server` reports their status. */
  pipelines: PipelineDefinition[];
}

const INDEX_FILES = ['index.ts', 'index.js', 'index.mjs'];

/** @throws `CONFIG_INVALID` naming the path when it is missing or does not load */
export async function loadUserModule(path: string): Promise<LoadedModule> {
  const file = resolveModuleFile(path);
  if (/\.[mc]?ts$/.test(file)) await registerTypeScript(file);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new MillraceError('CONFIG_INVALID', `cannot load ${file}: ${(error as Error).message}`, { path: file }, { cause: error });
  }
  return { url: pathToFileURL(file), processes: findProcesses(exports), schedules: Object.values(exports).filter(isScheduleDefinition), pipelines: Object.values(exports).filter(isPipelineDefinition) };
}

/** Process definitions among a module's exports, and one level inside exported objects (e.g. `job.process`). */
export function findProcesses(exports: Record<string, unknown>): ProcessDefinition[] {
  const found = new Set<ProcessDefinition>();
  for (const value of Object.values(exports)) {
    if (isProcessDefinition(value)) found.add(value);
    else if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) if (isProcessDefinition(inner)) found.add(inner);
  }
  return [...found];
}

/** Picks the process to run: the one named, or the only one. */
export function pickProcess(loaded: LoadedModule, name: string | undefined, version: number | undefined): ProcessDefinition {
  const candidates = loaded.processes.filter((p) => (name === undefined || p.name === name) && (version === undefined || p.version === version));
  const known = loaded.processes.map((p) => `${p.name} v${p.version}`).join(', ') || 'none';
  if (candidates.length === 0) throw new MillraceError('PROCESS_DEFINITION_UNKNOWN', `${loaded.url.pathname} defines no process${name ? ` named "${name}"` : ''}${version ? ` at version ${version}` : ''} (it defines: ${known})`);
  const latest = candidates.sort((a, b) => b.version - a.version);
  if (name === undefined && new Set(latest.map((p) => p.name)).size > 1) {
    throw new MillraceError('CONFIG_INVALID', `${loaded.url.pathname} defines several processes (${known}); choose one with --process`);
  }
  return latest[0]!;
}

function resolveModuleFile(path: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new MillraceError('CONFIG_INVALID', `no such file or folder: ${path}`, { path });
  if (!statSync(full).isDirectory()) return full;
  const index = INDEX_FILES.map((name) => join(full, name)).find((candidate) => existsSync(candidate));
  if (index === undefined) throw new MillraceError('CONFIG_INVALID', `${path} is a folder without ${INDEX_FILES.join(' or ')}`, { path });
  return index;
}

/** Registers the tsx loader in this thread so `.ts` modules can be imported. */
export async function registerTypeScript(file: string): Promise<void> {
  try {
    const api = (await import('tsx/esm/api')) as { register: () => void };
    api.register();
  } catch {
    throw new MillraceError('CONFIG_INVALID', `${file} is TypeScript: install tsx (npm install tsx) or compile it to JavaScript first`, { path: file });
  }
}
