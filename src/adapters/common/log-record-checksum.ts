/**
 * @module adapters/common/log-record-checksum
 * The checksum every `Log` adapter stores with a record and verifies on
 * read, so that SQLite and PostgreSQL frame records identically and report
 * damage with the same code: a damaged record is reported, never returned.
 */
import { crc32 } from 'node:zlib';
import { MillraceError } from '../../core/errors.js';
import { decodeJson } from '../../core/json-codec.js';
import type { LogRecord } from '../../ports/log.js';

/**
 * A record's fields as a store hands them back. Typed `unknown` where a
 * hand edit of the storage could put anything: the check sorts it out.
 */
export interface StoredRecordFields {
  offset: number;
  key: unknown;
  timestamp: unknown;
  /** The value's JSON as UTF-8 bytes, exactly as appended. */
  value: unknown;
  crc: unknown;
}

/**
 * CRC32 over every field of a record. Variable-length fields are
 * length-prefixed and a missing key is told apart from an empty one, so no
 * two different records frame to the same bytes; topic, partition and
 * offset are covered so that a record moved or copied to another place
 * fails as surely as one whose bytes changed.
 */
export function recordChecksum(topic: string, partition: number, offset: number, key: string | undefined, timestamp: number, value: Uint8Array): number {
  const topicBytes = Buffer.from(topic, 'utf8');
  const keyBytes = key === undefined ? EMPTY : Buffer.from(key, 'utf8');
  const header = Buffer.allocUnsafe(4 + topicBytes.length + 4 + 8 + 1 + 4 + keyBytes.length + 8);
  let at = header.writeUInt32BE(topicBytes.length, 0);
  at += topicBytes.copy(header, at);
  at = header.writeUInt32BE(partition, at);
  at = header.writeDoubleBE(offset, at);
  at = header.writeUInt8(key === undefined ? 0 : 1, at);
  at = header.writeUInt32BE(keyBytes.length, at);
  at += keyBytes.copy(header, at);
  header.writeDoubleBE(timestamp, at);
  return crc32Continue(crc32(header), value);
}

/**
 * Checks a stored record against its checksum, then decodes its value.
 *
 * @throws MillraceError `LOG_RECORD_CORRUPT` with `{ topic, partition, offset }`
 */
export function verifyRecord(topic: string, partition: number, fields: StoredRecordFields): LogRecord {
  const { offset, key, timestamp, value, crc } = fields;
  const intact =
    (key === null || key === undefined || typeof key === 'string') &&
    typeof timestamp === 'number' &&
    value instanceof Uint8Array &&
    crc === recordChecksum(topic, partition, offset, key ?? undefined, timestamp, value);
  if (!intact) throw corrupt(topic, partition, offset);
  try {
    return { topic, partition, offset, key: key ?? undefined, value: decodeJson(value), timestamp };
  } catch (cause) {
    throw corrupt(topic, partition, offset, cause);
  }
}

function corrupt(topic: string, partition: number, offset: number, cause?: unknown): MillraceError {
  return new MillraceError('LOG_RECORD_CORRUPT', `record ${topic}/${partition}@${offset} failed its checksum`, { topic, partition, offset }, { cause });
}

const EMPTY = Buffer.alloc(0);

/**
 * `crc32(bytes, previous)`, except that zero bytes always leave `previous`
 * alone. An empty buffer without backing memory (how better-sqlite3 returns
 * an empty BLOB) reaches zlib as a null pointer, which zlib reads as "give me
 * the initial value" and answers 0, so `crc32(empty, previous)` would be 0.
 */
export function crc32Continue(previous: number, bytes: Uint8Array): number {
  return bytes.byteLength === 0 ? previous : crc32(bytes, previous);
}
