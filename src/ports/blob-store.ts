/**
 * @module ports/blob-store
 * Immutable blobs addressed by key, with ranged reads and content hashes.
 * Bulk data lives here; messages and events carry only `BlobRef`s
 * (the claim-check pattern).
 */
import type { Readable } from 'node:stream';

/** A reference to a stored blob: small enough to travel in any message. */
export interface BlobRef {
  /** Name of the store that holds it (`'fs'`, `'s3'`), so a reader can tell refs apart. */
  store: string;
  /** Key within the store: `/`-separated segments, no `..`, no leading `/`. */
  key: string;
  /** Length in bytes. */
  size: number;
  /** Lower-case hex SHA-256 of the whole content. */
  sha256: string;
}

/** What a listing knows of a blob besides its ref. */
export interface BlobEntry {
  ref: BlobRef;
  /**
   * Epoch ms of the last `put` of this key, including a `put` of the same
   * content again (see the contract). Whole seconds on S3.
   */
  modifiedAt: number;
}

/**
 * How a reader that streams a blob by ranges reads a store fastest. A local
 * disk answers a read in microseconds, so small reads (less memory) lose
 * nothing; a remote store pays a round trip per request, so it wants large
 * reads, several at once, for its latency to hide behind the reader's work.
 */
export interface RangeReadHint {
  /** Bytes per `getRange`. */
  chunkBytes: number;
  /** `getRange` calls in flight ahead of the reader. */
  inFlight: number;
}

/** What a reader uses for a store that gives no {@link RangeReadHint}: 1 MiB, two in flight. */
export const DEFAULT_RANGE_READS: RangeReadHint = Object.freeze({ chunkBytes: 1024 * 1024, inFlight: 2 });

/** Data accepted by `put`. */
export type BlobBody = Uint8Array | Readable | AsyncIterable<Uint8Array>;

/**
 * Contract:
 * - **Immutable.** A key is written once. Putting the same content to the same
 *   key again is a no-op that returns the same ref (so retried uploads are
 *   safe); putting different content fails with `BLOB_CONFLICT`.
 * - **Atomic.** A reader sees the whole blob or none of it, never a prefix,
 *   even if the writer crashes mid-write. `put` resolves only once the blob is
 *   durable.
 * - **Verified.** `get` checks size and SHA-256 against the ref and fails
 *   with `BLOB_HASH_MISMATCH` rather than return altered bytes. `getRange`
 *   checks that the stored size matches the ref (a truncated blob fails); it
 *   cannot check the hash of a part, so formats read by range carry their own
 *   per-block checksums.
 * - **Ageing.** A blob's `modifiedAt` is when it was last put. A `put` that
 *   finds the same content already stored refreshes it, so content that is
 *   uploaded again (a claim-check payload is keyed by its hash) looks young
 *   to a collector of old, unreferenced blobs (`jobs/blob-collector.ts`).
 * - Keys are validated: `..` segments, absolute paths, backslashes, NUL and
 *   percent-encoded traversal fail with `BLOB_KEY_INVALID`.
 * - Not promised: `list` order beyond lexicographic by key; any consistency
 *   between `list` and a concurrent `put`.
 */
export interface BlobStore {
  /** Store name written into every ref this store returns. */
  readonly name: string;
  /** How to stream a blob by ranges from this store (the MapReduce split reader follows it). Without it, readers use {@link DEFAULT_RANGE_READS}. */
  readonly rangeReads?: RangeReadHint;
  put(key: string, body: BlobBody): Promise<BlobRef>;
  /** Whole content, verified against `ref.sha256`. @throws `BLOB_NOT_FOUND`, `BLOB_HASH_MISMATCH` */
  get(ref: BlobRef): Promise<Uint8Array>;
  /** `length` bytes from `offset`. @throws `BLOB_RANGE_INVALID` when the range is outside the blob */
  getRange(ref: BlobRef, offset: number, length: number): Promise<Uint8Array>;
  /** The ref for `key`, or `undefined` if there is no such blob. */
  head(key: string): Promise<BlobRef | undefined>;
  /** Refs whose keys start with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<BlobRef>;
  /** `list`, with each blob's last-modified time. */
  listEntries(prefix: string): AsyncIterable<BlobEntry>;
  /** Removes a blob; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
