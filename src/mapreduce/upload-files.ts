/**
 * @module mapreduce/upload-files
 * Puts local files into the blob store, so a job can read them: workers —
 * in a cluster, on other machines — see only the blob store, never the
 * caller's disk. Streams each file (bounded memory, any size).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { MillraceError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BlobRef, BlobStore } from '../ports/blob-store.js';

export interface UploadOptions {
  /** Key prefix; each file goes to `<prefix>/<index>-<file name>`. @defaultValue `inputs/<random id>` */
  prefix?: string;
}

/**
 * Uploads files in order and returns their refs, ready for a MapReduce
 * process input (`{ inputs: refs }`).
 *
 * @example
 * ```ts
 * const inputs = await uploadFiles(millrace.blobs, ['logs/access.log'])
 * const view = await millrace.runProcess(pageHits.process, { inputs })
 * ```
 * @throws `INPUT_NOT_FOUND` naming a file that does not exist or is not a regular file, before anything is uploaded
 */
export async function uploadFiles(blobs: BlobStore, paths: readonly string[], options: UploadOptions = {}): Promise<BlobRef[]> {
  for (const path of paths) await assertFile(path);
  const prefix = options.prefix ?? `inputs/${newId()}`;
  const refs: BlobRef[] = [];
  for (const [index, path] of paths.entries()) {
    refs.push(await blobs.put(`${prefix}/${index}-${safeName(path)}`, createReadStream(path)));
  }
  return refs;
}

async function assertFile(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(error)})`;
    throw new MillraceError('INPUT_NOT_FOUND', `input file "${path}" ${why} (looked for ${resolve(path)})`, { path });
  }
  if (!isFile) throw new MillraceError('INPUT_NOT_FOUND', `input "${path}" is not a regular file`, { path });
}

/** A file name as one blob key segment: letters, digits, `.`, `_`, `-`. */
function safeName(path: string): string {
  const name = basename(path).replace(/[^A-Za-z0-9._-]/g, '_');
  return name === '' || /^\.+$/.test(name) ? 'input' : name;
}
