/**
 * @module adapters/embedded/blob-file-io
 * File-system helpers of the embedded blob store: exact reads, directory
 * fsync, the stale-temp sweep, containment and error codes.
 */
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { TMP_SUFFIX } from './blob-file-format.js';

/** Temp files of crashed writers; a live writer touches its file far more often than `maxAgeMs`. */
export function removeStaleTemps(tmpRoot: string, now: number, maxAgeMs: number): void {
  for (const name of readdirSync(tmpRoot)) {
    if (!name.endsWith(TMP_SUFFIX)) continue;
    const path = join(tmpRoot, name);
    try {
      if (now - lstatSync(path).mtimeMs > maxAgeMs) unlinkSync(path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error; // another process cleaned it first
    }
  }
}

/** Up to `length` bytes from `position`; fewer only at the end of the file. */
export async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Makes the names in `directory` durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True when `path` lies strictly beneath `base`. */
export function isInside(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The `code` of a Node error, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
