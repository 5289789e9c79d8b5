/**
 * @module workers/claim-check
 * Messages carry metadata; bulk data travels by reference. A task input or
 * result whose JSON exceeds a threshold is stored as a blob and replaced by
 * `{ $claim: BlobRef }`; the receiver swaps it back. Keys are the content's
 * hash, so a retried upload of the same payload is a no-op, never a conflict.
 */
import { createHash } from 'node:crypto';
import { MillraceError } from '../core/errors.js';
import { bodyBytes, decodeMessageBody, encodeMessageBody, type MessageBody } from '../core/message-body.js';
import type { BlobRef, BlobStore } from '../ports/blob-store.js';

/** What a claimed payload looks like on the wire. */
export interface ClaimTicket {
  $claim: BlobRef;
}

/** Payloads above this many bytes of JSON go to the blob store. @defaultValue 64 KiB */
export const DEFAULT_CLAIM_CHECK_BYTES = 64 * 1024;

/** Largest payload the claim-check will store (the blob store holds bulk data; this guards memory). */
export const MAX_CLAIMED_BYTES = 512 * 1024 * 1024;

/**
 * Replaces a large value by a ticket; returns small values unchanged. The
 * result goes into JSON records (events), so a value carrying bytes is
 * stored whatever its size.
 */
export async function checkIn(value: unknown, blobs: BlobStore, thresholdBytes = DEFAULT_CLAIM_CHECK_BYTES): Promise<unknown> {
  if (value === undefined || isSmallScalar(value, thresholdBytes)) return value;
  const body = await checkInAsBody(value, blobs, thresholdBytes);
  return typeof body === 'string' ? JSON.parse(body) as unknown : JSON.parse(await claim(body, blobs)) as unknown;
}

/**
 * A value whose JSON is itself and cannot exceed the threshold: it needs
 * neither the encoding (to measure it) nor the parse back (to normalise
 * it) that other values take. A fan-out's items are often such numbers.
 */
function isSmallScalar(value: unknown, thresholdBytes: number): boolean {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  // A UTF-16 unit is at most 6 bytes of JSON: escaped (\u00XX, or a lone surrogate's \udXXX), else at most 3 of UTF-8.
  return typeof value === 'string' && value.length * 6 + 2 <= thresholdBytes;
}

/**
 * `checkIn` for a queue message: the value or its ticket, encoded (JSON
 * text, or a frame when it carries bytes, which a queue takes as they
 * are). Worker threads send this instead of the object: structured clone
 * of a wide object costs several times more than one string and a parse.
 */
export async function checkInAsBody(value: unknown, blobs: BlobStore, thresholdBytes = DEFAULT_CLAIM_CHECK_BYTES): Promise<MessageBody> {
  const body = encodeMessageBody(value ?? null, { maxBytes: MAX_CLAIMED_BYTES });
  return bodyBytes(body) <= thresholdBytes ? body : claim(body, blobs);
}

/** Stores a body under its content hash; returns the ticket's JSON. */
async function claim(body: MessageBody, blobs: BlobStore): Promise<string> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const digest = createHash('sha256').update(bytes).digest('hex');
  const ref = await blobs.put(`claims/${digest.slice(0, 2)}/${digest}`, bytes);
  return JSON.stringify({ $claim: ref } satisfies ClaimTicket);
}

/** Swaps a ticket back for its value (verified by hash); returns other values unchanged. */
export async function checkOut(value: unknown, blobs: BlobStore): Promise<unknown> {
  if (!isClaimTicket(value)) return value;
  const ref = value.$claim;
  if (ref.store !== blobs.name) {
    throw new MillraceError('BLOB_NOT_FOUND', `payload is stored in blob store "${ref.store}" but this worker uses "${blobs.name}"`, { key: ref.key });
  }
  return decodeMessageBody(await blobs.get(ref), { maxBytes: MAX_CLAIMED_BYTES });
}

export function isClaimTicket(value: unknown): value is ClaimTicket {
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1) return false;
  const ref = (value as { $claim?: unknown }).$claim;
  return typeof ref === 'object' && ref !== null
    && typeof (ref as BlobRef).key === 'string' && typeof (ref as BlobRef).sha256 === 'string'
    && typeof (ref as BlobRef).size === 'number' && typeof (ref as BlobRef).store === 'string';
}
