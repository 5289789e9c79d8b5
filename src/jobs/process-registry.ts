/**
 * @module jobs/process-registry
 * Every version of every process definition the orchestrator can run. A
 * process is started on the latest version (unless told otherwise) and
 * keeps the version it started with until it ends, so registering version 2
 * while version-1 processes run leaves them undisturbed.
 */
import { MillraceError } from '../core/errors.js';
import type { ProcessDefinition } from './process-definition.js';

export class ProcessRegistry {
  private readonly versions = new Map<string, Map<number, ProcessDefinition>>();

  /** Adds a definition. Registering the same object again is a no-op; a different one under the same name and version is an error. */
  register(definition: ProcessDefinition): void {
    const byVersion = this.versions.get(definition.name) ?? new Map<number, ProcessDefinition>();
    const existing = byVersion.get(definition.version);
    if (existing !== undefined && existing !== definition && !sameShape(existing, definition)) {
      throw new MillraceError('CONFIG_INVALID', `process "${definition.name}" version ${definition.version} is already registered with different steps; give the new one a new version`, { process: definition.name, version: definition.version });
    }
    byVersion.set(definition.version, existing ?? definition);
    this.versions.set(definition.name, byVersion);
  }

  /** The definition of `name` at `version`, or at its latest version. @throws `PROCESS_DEFINITION_UNKNOWN` naming what is known */
  get(name: string, version?: number): ProcessDefinition {
    const byVersion = this.versions.get(name);
    if (byVersion === undefined) {
      const known = [...this.versions.keys()].sort().join(', ') || 'none';
      throw new MillraceError('PROCESS_DEFINITION_UNKNOWN', `no process named "${name}" (registered: ${known})`, { process: name });
    }
    const wanted = version ?? Math.max(...byVersion.keys());
    const definition = byVersion.get(wanted);
    if (definition === undefined) {
      throw new MillraceError('PROCESS_DEFINITION_UNKNOWN', `process "${name}" has no version ${wanted} (registered: ${[...byVersion.keys()].sort((a, b) => a - b).join(', ')})`, { process: name, version: wanted });
    }
    return definition;
  }

  /** Like `get`, but `undefined` instead of an error. */
  find(name: string, version: number): ProcessDefinition | undefined {
    return this.versions.get(name)?.get(version);
  }

  /** Every registered (name, version). */
  list(): Array<{ name: string; version: number }> {
    return [...this.versions].flatMap(([name, byVersion]) => [...byVersion.keys()].map((version) => ({ name, version })));
  }
}

/** Two definition objects for the same version (e.g. a module imported twice) are the same if their steps read the same. */
function sameShape(a: ProcessDefinition, b: ProcessDefinition): boolean {
  const shape = (d: ProcessDefinition): string => JSON.stringify(d.steps.map((s) => [s.name, s.kind, s.task, s.after]));
  return shape(a) === shape(b);
}
