/**
 * @module adapters/common/event-store-rules
 * The `EventStore` port's rules that do not depend on the database: what an
 * expected version means, how a conflict reads, duplicate ids within a
 * batch, and how a stored row becomes a `StoredEvent` (damaged JSON is
 * `STORAGE_CORRUPT` naming the event). Every event store adapter uses these,
 * so they answer the same way.
 */
import { MillraceError } from '../../core/errors.js';
import { decodeJson, encodeJson } from '../../core/json-codec.js';
import { newId } from '../../core/ids.js';
import type { ExpectedVersion, NewEvent, StoredEvent } from '../../ports/event-store.js';

/** A stored event row; drivers return bigint columns as numbers or strings. */
export interface StoredEventRow {
  event_id: string;
  stream_id: string;
  version: number | string;
  position: number | string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number | string;
}

/** An event encoded for insertion. */
export interface EncodedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/**
 * A batch encoded for insertion, before any lock or connection is taken;
 * an event without an id gets a new one.
 * @throws `EVENT_STORE_VERSION_CONFLICT` when an id appears twice in the batch, codec errors when data does not encode
 */
export function encodeBatch(streamId: string, events: readonly NewEvent[], expected: ExpectedVersion): EncodedEvent[] {
  const encoded = events.map((event) => ({ id: event.id ?? newId(), type: event.type, data: encodeJson(event.data), metadata: encodeMetadata(event.metadata) }));
  const duplicate = firstDuplicate(encoded.map((event) => event.id));
  if (duplicate !== undefined) throw versionConflict(`event id ${duplicate} appears twice in one batch`, streamId, expected, undefined, duplicate);
  return encoded;
}

/** The first id that appears twice in a batch, if any. */
export function firstDuplicate(ids: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return undefined;
}

/** `'no-stream'` is version 0. */
export function expectedNumber(expected: number | 'no-stream'): number {
  return expected === 'no-stream' ? 0 : expected;
}

export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  return expected === 'any' || expectedNumber(expected) === actual;
}

export function versionConflict(message: string, streamId: string, expected: ExpectedVersion, actual: number | undefined, eventId?: string): MillraceError {
  return new MillraceError('EVENT_STORE_VERSION_CONFLICT', message, { streamId, expected, actual, eventId });
}

export function staleVersion(streamId: string, expected: ExpectedVersion, actual: number): MillraceError {
  return versionConflict(`stream ${streamId} is at version ${actual}, expected ${String(expected)}`, streamId, expected, actual);
}

/** Most events carry no metadata: stored as `{}` without an encode, and read back without a parse (`toStoredEvent`). */
const NO_METADATA = '{}';

/** An event's metadata as stored. */
export function encodeMetadata(metadata: Record<string, unknown> | undefined): string {
  return metadata === undefined ? NO_METADATA : encodeJson(metadata);
}

export function toStoredEvent(row: StoredEventRow): StoredEvent {
  return {
    id: row.event_id,
    streamId: row.stream_id,
    version: Number(row.version),
    position: Number(row.position),
    type: row.type,
    data: decodeStored(row, row.data),
    metadata: row.metadata === NO_METADATA ? {} : decodeStored(row, row.metadata) as Record<string, unknown>,
    recordedAt: Number(row.recorded_at),
  };
}

/** Stored JSON that no longer parses was damaged at rest: say where, not just "bad JSON". */
function decodeStored(row: StoredEventRow, text: string): unknown {
  try {
    return decodeJson(text);
  } catch (cause) {
    throw new MillraceError('STORAGE_CORRUPT', `event ${row.stream_id}@${row.version} is unreadable`, { streamId: row.stream_id, version: Number(row.version) }, { cause });
  }
}
