/**
 * @module adapters/common/checkpoint-checksum
 * The checksum every `CheckpointStore` adapter stores with a checkpoint
 * and verifies on load, so that SQLite and PostgreSQL frame a checkpoint
 * identically: a damaged one fails with `STORAGE_CORRUPT`, never resumes
 * a pipeline from wrong state.
 */
import { crc32 } from 'node:zlib';
import { crc32Continue } from './log-record-checksum.js';

/**
 * CRC32 over the whole row. Variable-length fields are length-prefixed so
 * that distinct rows never frame alike. `offsets` is the offsets' text as
 * the adapter frames it (stored text, or a canonical form where the
 * database does not hand back what it was given).
 */
export function checkpointChecksum(pipeline: string, version: number, committedAt: number, offsets: string, state: Uint8Array): number {
  const pipelineBytes = Buffer.from(pipeline, 'utf8');
  const offsetsBytes = Buffer.from(offsets, 'utf8');
  const header = Buffer.allocUnsafe(4 + pipelineBytes.length + 8 + 8 + 4 + offsetsBytes.length);
  let at = header.writeUInt32BE(pipelineBytes.length, 0);
  at += pipelineBytes.copy(header, at);
  at = header.writeDoubleBE(version, at);
  at = header.writeDoubleBE(committedAt, at);
  at = header.writeUInt32BE(offsetsBytes.length, at);
  offsetsBytes.copy(header, at);
  return crc32Continue(crc32(header), state);
}
