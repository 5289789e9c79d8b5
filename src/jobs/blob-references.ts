/**
 * @module jobs/blob-references
 * Finds the blobs a stored value points to: every `BlobRef` anywhere in it,
 * claim-check tickets (`{ $claim: ref }`) included. The orphan collector
 * keeps what these find; a ref is recognised by its shape (store, key,
 * size, sha256), wherever a task or a step function put it.
 */
import type { BlobRef } from '../ports/blob-store.js';

/** Every ref in `value`, in the order met (duplicates included). */
export function refsIn(value: unknown): BlobRef[] {
  const found: BlobRef[] = [];
  // A stack, not recursion: step outputs are the user's JSON, of any depth.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (isBlobRef(next)) found.push(next);
    else {
      const items: unknown[] = Array.isArray(next) ? next : Object.values(next);
      for (let i = items.length - 1; i >= 0; i--) pending.push(items[i]); // reversed: refs come out in document order
    }
  }
  return found;
}

/** Whether `value` has the shape of a `BlobRef`. */
export function isBlobRef(value: unknown): value is BlobRef {
  if (typeof value !== 'object' || value === null) return false;
  const ref = value as Partial<BlobRef>;
  return typeof ref.key === 'string' && typeof ref.sha256 === 'string' && typeof ref.size === 'number' && typeof ref.store === 'string';
}
