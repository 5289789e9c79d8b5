/**
 * @module mapreduce/upload-files
 * Puts local files into the blob store, so a job can read them: workers —
 * in a cluster, on other machines — see only the blob store, never the
 * caller's disk. Streams each file (bounded memory, any size).
 */
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { MillraceError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BlobRef, BlobStore } from '../ports/blob-store.js';

export interface UploadOptions {
  /** Key prefix; each file goes to `<prefix>/<index>-<file name>`. @defaultValue `inputs/<random id>` */
  prefix?: string;
  /** Called as bytes go in: bytes of every file so far, and their total size. */
  onProgress?: (uploaded: number, total: number) => void;
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
  let total = 0;
  for (const path of paths) total += await fileSize(path);
  const prefix = options.prefix ?? `inputs/${newId()}`;
  const refs: BlobRef[] = [];
  let uploaded = 0;
  const onProgress = options.onProgress;
  for (const [index, path] of paths.entries()) {
    const body = onProgress === undefined ? createReadStream(path) : counted(createReadStream(path), (bytes) => onProgress(uploaded += bytes, total));
    refs.push(await blobs.put(`${prefix}/${index}-${safeName(path)}`, body));
  }
  return refs;
}

async function* counted(chunks: AsyncIterable<Buffer>, onChunk: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    onChunk(chunk.length);
    yield chunk;
  }
}

/** The size of a regular file. @throws `INPUT_NOT_FOUND` */
async function fileSize(path: string): Promise<number> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(error)})`;
    throw new MillraceError('INPUT_NOT_FOUND', `input file "${path}" ${why} (looked for ${resolve(path)})`, { path });
  }
  if (!info.isFile()) throw new MillraceError('INPUT_NOT_FOUND', `input "${path}" is not a regular file`, { path });
  return info.size;
}

/** A file name as one blob key segment: letters, digits, `.`, `_`, `-`. */
function safeName(path: string): string {
  const name = basename(path).replace(/[^A-Za-z0-9._-]/g, '_');
  return name === '' || /^\.+$/.test(name) ? 'input' : name;
}
