/**
 * @module adapters/embedded/file-blob-store
 * The embedded `BlobStore`: immutable, verified blobs in a directory tree.
 * The on-disk layout and file format are described in `blob-file-format.ts`.
 *
 * How a `put` becomes durable and visible, and why in this order:
 *
 * ```
 *  1. open tmp/<uuid>.tmp (O_EXCL)    invisible to readers: list/head only look under blobs/
 *  2. write 64 zero bytes, then the   hashing (SHA-256) and counting as bytes arrive
 *     content after them
 *  3. pwrite the real header at 0     size + hash now sit in the same file as the content
 *  4. fsync the temp file             content and header are durable, under the temp name
 *  5. link(tmp, blobs/.../k.blob)     THE commit point: atomic, and fails with EEXIST
 *                                     instead of replacing, so a key is written once even
 *                                     across processes (EEXIST → compare hashes: same
 *                                     content is a no-op that refreshes the mtime, other
 *                                     content BLOB_CONFLICT)
 *  6. fsync blobs/.../ and its        the new name (and any new directory) is durable;
 *     ancestors                       only now does put resolve
 *  7. unlink the temp name            the blob keeps the inode; a crash here leaves a stray
 *                                     temp link, removed at a later start (older than an hour)
 * ```
 *
 * A crash before 5 leaves only a temp file, never a visible blob. A crash
 * between 5 and 6 may or may not keep the name, but whatever survives was
 * fsync'd whole in 4 with its hash beside it. Because the hash is inside the
 * published file (not in a sidecar written by a second rename), there is no
 * instant at which a blob is visible without its correct hash.
 *
 * Keys cannot leave the root: they are validated (`common/blob-key.ts`), the
 * joined path is checked to lie under `<root>/blobs`, the real path of its
 * directory is checked too (a planted directory symlink fails with
 * `BLOB_KEY_INVALID`), and blob files are opened with `O_NOFOLLOW`. Someone
 * who can swap directories for symlinks between the check and the open is
 * not defended against: they can write the root anyway.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants, mkdirSync, realpathSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { link, lstat, lutimes, mkdir, open, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { SystemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import { DEFAULT_RANGE_READS, type BlobBody, type BlobEntry, type BlobRef, type BlobStore, type RangeReadHint } from '../../ports/blob-store.js';
import { assertValidBlobKey, assertValidBlobPrefix, compareBlobKeys, isValidBlobKey } from '../common/blob-key.js';
import { OpenOperations } from '../common/open-operations.js';
import {
  BLOB_HEADER_BYTES, BLOB_SUFFIX, BLOBS_DIR, DIR_SUFFIX, MAX_SEGMENT_BYTES, TMP_DIR, TMP_SUFFIX,
  blobDirectoryPath, blobFilePath, decodeBlobHeader, encodeBlobHeader,
} from './blob-file-format.js';
import { errorCode, fsyncDirectory, isInside, readExactly, removeStaleTemps } from './blob-file-io.js';
import { writeBlobContent } from './blob-file-writer.js';
import { ReadHandleCache } from './read-handle-cache.js';

/** Options for {@link FileBlobStore}. */
export interface FileBlobStoreOptions {
  /** Directory that holds the store; created if missing. */
  root: string;
  /** Store name written into every ref. @defaultValue `'fs'` */
  name?: string;
  /** Decides which temp files are stale. @defaultValue a `SystemClock` */
  clock?: Clock;
  /** Temp files older than this are removed when a store opens. @defaultValue 3 600 000 (one hour) */
  staleTempMs?: number;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** A concurrent `delete` may prune the directory a `put` is about to link into; it then tries again. */
const PUBLISH_ATTEMPTS = 5;

/**
 * A `BlobStore` on the local file system. Safe to share one root between
 * several stores and processes on one machine: writes publish with a
 * no-clobber `link`, so the immutability check holds across processes.
 * Needs a file system with hard links (any local POSIX one).
 *
 * @example
 * ```ts
 * const blobs = new FileBlobStore({ root: './.millrace/blobs' })
 * const ref = await blobs.put('runs/42/input.bin', createReadStream('input.bin'))
 * const header = await blobs.getRange(ref, 0, 512)
 * ```
 */
export class FileBlobStore implements BlobStore {
  readonly name: string;
  /**
   * 1 MiB reads two at a time stream a file at over 2 GB/s (bench/split-read.ts),
   * ten times what a map consumes: larger ones would only hold more memory.
   */
  readonly rangeReads: RangeReadHint = DEFAULT_RANGE_READS;
  /** Real path of `<root>/blobs`: every blob must resolve beneath it. */
  private readonly blobsRoot: string;
  private readonly root: string;
  private readonly tmpRoot: string;
  private readonly operations: OpenOperations;
  /** Kept open for ranged reads; see read-handle-cache for how long a deleted blob may still be read. */
  private readonly readHandles = new ReadHandleCache();

  constructor(options: FileBlobStoreOptions) {
    this.name = options.name ?? 'fs';
    this.operations = new OpenOperations('blob store', this.name);
    mkdirSync(join(options.root, BLOBS_DIR), { recursive: true });
    mkdirSync(join(options.root, TMP_DIR), { recursive: true });
    // Real paths, so the containment checks compare like with like even when
    // the root itself sits behind a symlink (macOS /tmp → /private/tmp).
    this.root = realpathSync(options.root);
    this.blobsRoot = join(this.root, BLOBS_DIR);
    this.tmpRoot = join(this.root, TMP_DIR);
    removeStaleTemps(this.tmpRoot, (options.clock ?? new SystemClock()).now(), options.staleTempMs ?? 3_600_000);
  }

  put(key: string, body: BlobBody): Promise<BlobRef> {
    return this.operations.run(async () => {
      const target = this.pathFor(key);
      const tmp = join(this.tmpRoot, randomUUID() + TMP_SUFFIX);
      const handle = await open(tmp, 'wx');
      try {
        const { size, sha256 } = await writeBlobContent(handle, BLOB_HEADER_BYTES, body);
        await handle.write(encodeBlobHeader({ size, sha256 }), 0, BLOB_HEADER_BYTES, 0);
        await handle.sync();
        await handle.close();
        return await this.publish(tmp, target, { store: this.name, key, size, sha256 });
      } finally {
        await handle.close().catch(() => undefined);
        // Once linked, the blob no longer needs this name; if removal fails the
        // stale-temp sweep gets it, so the put still stands.
        await rm(tmp, { force: true }).catch(() => undefined);
      }
    });
  }

  get(ref: BlobRef): Promise<Uint8Array> {
    return this.operations.run(async () => {
      const handle = await this.openForRead(this.pathFor(ref.key), ref);
      try {
        const content = await readExactly(handle, BLOB_HEADER_BYTES, ref.size);
        if (content.length !== ref.size) throw sizeMismatch(ref, content.length);
        const actual = createHash('sha256').update(content).digest('hex');
        if (actual !== ref.sha256) {
          throw new MillraceError('BLOB_HASH_MISMATCH', `blob "${ref.key}" does not match its SHA-256`, {
            key: ref.key, check: 'sha256', expected: ref.sha256, actual,
          });
        }
        return content;
      } finally {
        await handle.close();
      }
    });
  }

  getRange(ref: BlobRef, offset: number, length: number): Promise<Uint8Array> {
    return this.operations.run(async () => {
      const path = this.pathFor(ref.key);
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > ref.size) {
        throw new MillraceError('BLOB_RANGE_INVALID', `range ${offset}+${length} is outside blob "${ref.key}" of ${ref.size} bytes`, {
          key: ref.key, offset, length, size: ref.size,
        });
      }
      this.assertOwnRef(ref); // before the cache: a handle kept for this key must not serve another store's ref
      return this.readHandles.use(ref.key, ref.sha256, () => this.openForRead(path, ref), async (handle) => {
        const bytes = await readExactly(handle, BLOB_HEADER_BYTES + offset, length);
        // The size was checked at open; a short read means the file shrank since.
        if (bytes.length !== length) throw sizeMismatch(ref, offset + bytes.length);
        return bytes;
      });
    });
  }

  head(key: string): Promise<BlobRef | undefined> {
    return this.operations.run(async () => {
      const handle = await this.openBlob(this.pathFor(key), key);
      if (handle === undefined) return undefined;
      try {
        return await this.readRef(handle, key);
      } finally {
        await handle.close();
      }
    });
  }

  async *list(prefix: string): AsyncIterable<BlobRef> {
    for await (const entry of this.listEntries(prefix)) yield entry.ref;
  }

  async *listEntries(prefix: string): AsyncIterable<BlobEntry> {
    this.operations.assertOpen();
    assertValidBlobPrefix(prefix);
    const cut = prefix.lastIndexOf('/');
    const keyDirectory = cut < 0 ? '' : prefix.slice(0, cut);
    const directory = blobDirectoryPath(this.root, keyDirectory);
    if (keyDirectory !== '') this.assertLexicallyInside(directory, prefix);
    if (!(await this.directoryInside(directory, prefix))) return;
    yield* this.walk(directory, keyDirectory === '' ? '' : `${keyDirectory}/`, prefix);
  }

  delete(key: string): Promise<void> {
    return this.operations.run(async () => {
      const path = this.pathFor(key);
      const directory = dirname(path);
      this.readHandles.forget(key);
      if (!(await this.directoryInside(directory, key))) return;
      try {
        await rm(path); // unlink never follows a symlink: a planted link is removed, not its target
        this.readHandles.forget(key); // a range read may have opened it meanwhile
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw error;
      }
      await fsyncDirectory(directory);
      await this.pruneEmptyDirectories(directory);
    });
  }

  /** Waits for operations in progress; any later call fails with `NOT_AVAILABLE`. */
  async close(): Promise<void> {
    await this.operations.close();
    this.readHandles.clear();
  }

  /** Steps 5–6 of the write protocol (see the module comment). */
  private async publish(tmp: string, target: string, ref: BlobRef): Promise<BlobRef> {
    const directory = dirname(target);
    for (let attempt = 1; ; attempt++) {
      await this.ensureDirectory(directory, ref.key);
      try {
        await link(tmp, target);
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT' && attempt < PUBLISH_ATTEMPTS) continue;
        if (code !== 'EEXIST') throw error;
        await this.assertSameContent(target, ref);
        // Put again: the blob is in use again, so it must look young to an orphan collector (the port's "ageing").
        const now = new Date();
        await lutimes(target, now, now);
      }
      // Every ancestor, not only new ones: a directory another put created
      // may not be durable yet. An fsync of a clean directory is cheap.
      for (let dir = directory; dir.length >= this.blobsRoot.length; dir = dirname(dir)) await fsyncDirectory(dir);
      return ref;
    }
  }

  /**
   * Creates the directories down to `directory` one level at a time,
   * refusing any level that is not a real directory: `mkdir -p` would follow
   * a planted symlink and create directories outside the root.
   */
  private async ensureDirectory(directory: string, key: string): Promise<void> {
    if (await this.directoryInside(directory, key)) return;
    let current = this.blobsRoot;
    for (const part of relative(this.blobsRoot, directory).split(sep)) {
      current = join(current, part);
      try {
        await mkdir(current);
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      if (!(await lstat(current)).isDirectory()) throw escapes(key, 'a directory on its path is a symbolic link or a file');
    }
  }

  private async assertSameContent(target: string, ref: BlobRef): Promise<void> {
    const handle = await this.openBlob(target, ref.key);
    if (handle === undefined) {
      throw new MillraceError('BLOB_CONFLICT', `blob "${ref.key}" was deleted while being written`, { key: ref.key });
    }
    try {
      const existing = await this.readRef(handle, ref.key);
      if (existing.size !== ref.size || existing.sha256 !== ref.sha256) {
        throw new MillraceError('BLOB_CONFLICT', `blob "${ref.key}" already exists with different content`, {
          key: ref.key, expected: existing.sha256, actual: ref.sha256,
        });
      }
    } finally {
      await handle.close();
    }
  }

  /** Opens the blob a ref names and checks the stored size, for `get` and `getRange`. */
  private async openForRead(path: string, ref: BlobRef): Promise<FileHandle> {
    this.assertOwnRef(ref);
    const handle = await this.openBlob(path, ref.key);
    if (handle === undefined) throw new MillraceError('BLOB_NOT_FOUND', `no blob "${ref.key}"`, { key: ref.key });
    try {
      const stored = (await handle.stat()).size - BLOB_HEADER_BYTES;
      if (stored !== ref.size) throw sizeMismatch(ref, stored);
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private assertOwnRef(ref: BlobRef): void {
    if (ref.store !== this.name) {
      throw new MillraceError('BLOB_NOT_FOUND', `ref for "${ref.key}" belongs to store "${ref.store}", not "${this.name}"`, {
        key: ref.key, store: ref.store,
      });
    }
  }

  /** Opens a blob file without following a symlink; `undefined` when there is none. */
  private async openBlob(path: string, key: string): Promise<FileHandle | undefined> {
    if (!(await this.directoryInside(dirname(path), key))) return undefined;
    try {
      return await open(path, constants.O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') throw escapes(key, 'its blob file is a symbolic link');
      throw error;
    }
  }

  private async readRef(handle: FileHandle, key: string): Promise<BlobRef> {
    const header = decodeBlobHeader(await readExactly(handle, 0, BLOB_HEADER_BYTES), key);
    return { store: this.name, key, size: header.size, sha256: header.sha256 };
  }

  /** Depth-first, children sorted so that the whole walk yields keys in byte order. */
  private async *walk(directory: string, keyPrefix: string, prefix: string): AsyncGenerator<BlobEntry> {
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
      throw error;
    }
    // A directory 'a.d' holds keys 'a/…'; sorting it as 'a/' places it
    // correctly among its siblings' keys ('a' < 'a/…' < 'a.b' is wrong: '.' < '/').
    const children: Array<{ entry: Dirent; key: string; sortKey: string }> = [];
    for (const entry of entries) {
      // Dirent types come from lstat: symbolic links are neither files nor directories here.
      const isBlob = entry.isFile() && entry.name.endsWith(BLOB_SUFFIX);
      const isDirectory = entry.isDirectory() && entry.name.endsWith(DIR_SUFFIX);
      if (!isBlob && !isDirectory) continue;
      const key = keyPrefix + entry.name.slice(0, -(isBlob ? BLOB_SUFFIX : DIR_SUFFIX).length);
      if (!isValidBlobKey(key)) continue; // not a name this store writes
      children.push({ entry, key, sortKey: isDirectory ? `${key}/` : key });
    }
    children.sort((a, b) => compareBlobKeys(a.sortKey, b.sortKey));
    for (const { entry, key, sortKey } of children) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (sortKey.startsWith(prefix) || prefix.startsWith(sortKey)) yield* this.walk(path, sortKey, prefix);
        continue;
      }
      if (!key.startsWith(prefix)) continue;
      const found = await this.entryAt(path, key);
      if (found !== undefined) yield found;
    }
  }

  private async entryAt(path: string, key: string): Promise<BlobEntry | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, constants.O_RDONLY | O_NOFOLLOW);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined; // deleted while listing
      throw error;
    }
    try {
      return { ref: await this.readRef(handle, key), modifiedAt: (await handle.stat()).mtimeMs };
    } finally {
      await handle.close();
    }
  }

  private async pruneEmptyDirectories(directory: string): Promise<void> {
    for (let dir = directory; dir.length > this.blobsRoot.length; dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (ENOTEMPTY), already gone, or in use: leave it
      }
    }
  }

  /** Validates the key and maps it to a path that must lie under `<root>/blobs`. */
  private pathFor(key: string): string {
    this.operations.assertOpen();
    assertValidBlobKey(key);
    for (const segment of key.split('/')) {
      if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
        throw new MillraceError('BLOB_KEY_INVALID', `invalid blob key ${JSON.stringify(key)}: a segment is longer than ${MAX_SEGMENT_BYTES} UTF-8 bytes`, { key });
      }
    }
    const path = blobFilePath(this.root, key);
    this.assertLexicallyInside(path, key);
    return path;
  }

  private assertLexicallyInside(path: string, key: string): void {
    if (!isInside(this.blobsRoot, path)) throw escapes(key, 'it resolves outside the store root');
  }

  /**
   * True when `directory` exists and its real path is inside the store;
   * false when it does not exist; throws `BLOB_KEY_INVALID` when a symlink
   * leads it elsewhere.
   */
  private async directoryInside(directory: string, key: string): Promise<boolean> {
    let real: string;
    try {
      real = await realpath(directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return false;
      throw error;
    }
    if (real !== this.blobsRoot && !isInside(this.blobsRoot, real)) throw escapes(key, 'a symbolic link leads it outside the store root');
    return true;
  }
}

function sizeMismatch(ref: BlobRef, actual: number): MillraceError {
  return new MillraceError('BLOB_HASH_MISMATCH', `blob "${ref.key}" holds ${actual} bytes, its ref says ${ref.size}`, {
    key: ref.key, check: 'size', expected: ref.size, actual,
  });
}

function escapes(key: string, why: string): MillraceError {
  return new MillraceError('BLOB_KEY_INVALID', `invalid blob key ${JSON.stringify(key)}: ${why}`, { key });
}
