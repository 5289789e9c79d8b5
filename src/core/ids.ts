/**
 * @module core/ids
 * Random ids for things that are created once (processes, messages), and
 * deterministic ids for things that may be created twice (tasks): a task
 * scheduled again after a crash must get the same id so its completion is
 * recognised as a duplicate.
 */
import { hash, randomUUID } from 'node:crypto';

/** A random, unique id (UUID v4). */
export function newId(): string {
  return randomUUID();
}

/**
 * Deterministic task id from (process, step, item index).
 *
 * @example
 * ```ts
 * taskId('p-42', 'resize', 7) // 'p-42/resize/7'
 * ```
 */
export function taskId(processId: string, step: string, index: number): string {
  return `${processId}/${step}/${index}`;
}

/** A short stable hash (hex) of a string, for partitioning and cache keys. */
export function stableHash(text: string, bytes = 8): string {
  return hash('sha256', text, 'hex').slice(0, bytes * 2);
}

/**
 * Stable 32-bit hash of a key, used to pick partitions. FNV-1a: cheap, well
 * spread for short keys, and identical in every process and language.
 */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
