/**
 * @module queries/query/float32-bytes
 * Grids travel between the gatherer and the workers as the bytes of their
 * float32 values (queue payloads carry bytes as they are), and one queue
 * message holds at most 16 MiB: these are the two ways across, and the
 * size a grid may have to make the trip.
 */
import { DEFAULT_JSON_LIMITS } from '../../core/json-codec.js';

/** Largest grid sent in one message (a strip's answer, a render task): half what a message may hold, leaving room for the rest of it. */
export const MAX_GRID_MESSAGE_BYTES = DEFAULT_JSON_LIMITS.maxBytes / 2;

/** The values' bytes, without a copy. */
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The bytes as float32s: a view where they are aligned (queues hand them out so), a copy where not. */
export function float32View(bytes: Uint8Array): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
