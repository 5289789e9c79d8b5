/** A BlobStore over a Map for fast unit tests of the Queries context, with a way to damage stored bytes. */
import { createHash } from 'node:crypto';
import { MillraceError } from '../../../src/core/errors.js';
import type { Clock } from '../../../src/core/clock.js';
import type { BlobBody, BlobEntry, BlobRef, BlobStore } from '../../../src/ports/blob-store.js';

export class MemoryBlobStore implements BlobStore {
  readonly name = 'memory';
  readonly blobs = new Map<string, Uint8Array>();
  /** When each key was last put, by `clock` (or the wall clock). */
  readonly modifiedAt = new Map<string, number>();
  /** Ranged reads served, and their bytes: what a query read. */
  reads = 0;
  bytesRead = 0;

  constructor(private readonly clock?: Clock) {}

  async put(key: string, body: BlobBody): Promise<BlobRef> {
    const chunks: Uint8Array[] = [];
    if (body instanceof Uint8Array) chunks.push(body);
    else for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    const existing = this.blobs.get(key);
    if (existing !== undefined && !Buffer.from(existing).equals(bytes)) throw new MillraceError('BLOB_CONFLICT', `blob ${key} exists with other content`, { key });
    if (existing === undefined) this.blobs.set(key, new Uint8Array(bytes));
    this.modifiedAt.set(key, this.clock?.now() ?? Date.now());
    return this.refOf(key, bytes);
  }

  async get(ref: BlobRef): Promise<Uint8Array> {
    return this.bytesOf(ref).slice();
  }

  async getRange(ref: BlobRef, offset: number, length: number): Promise<Uint8Array> {
    const bytes = this.bytesOf(ref);
    if (offset < 0 || length < 0 || offset + length > bytes.length) throw new MillraceError('BLOB_RANGE_INVALID', `range ${offset}+${length} outside ${ref.key}`, { key: ref.key });
    this.reads++;
    this.bytesRead += length;
    return bytes.slice(offset, offset + length);
  }

  async head(key: string): Promise<BlobRef | undefined> {
    const bytes = this.blobs.get(key);
    return bytes === undefined ? undefined : this.refOf(key, bytes);
  }

  async *list(prefix: string): AsyncIterable<BlobRef> {
    for (const key of [...this.blobs.keys()].sort()) if (key.startsWith(prefix)) yield this.refOf(key, this.blobs.get(key)!);
  }

  async *listEntries(prefix: string): AsyncIterable<BlobEntry> {
    for await (const ref of this.list(prefix)) yield { ref, modifiedAt: this.modifiedAt.get(ref.key)! };
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
    this.modifiedAt.delete(key);
  }

  async close(): Promise<void> {}

  /** Flips one bit at `offset` of a stored blob (its ref stays the same: ranged reads cannot tell). */
  damage(key: string, offset: number): void {
    const bytes = this.blobs.get(key)!;
    bytes[offset] = bytes[offset]! ^ 0x01;
  }

  private bytesOf(ref: BlobRef): Uint8Array {
    const bytes = this.blobs.get(ref.key);
    if (bytes === undefined) throw new MillraceError('BLOB_NOT_FOUND', `no blob ${ref.key}`, { key: ref.key });
    if (bytes.length !== ref.size) throw new MillraceError('BLOB_RANGE_INVALID', `blob ${ref.key} changed size`, { key: ref.key });
    return bytes;
  }

  private refOf(key: string, bytes: Uint8Array): BlobRef {
    return { store: this.name, key, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
}
