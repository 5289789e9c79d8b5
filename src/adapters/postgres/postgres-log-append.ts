/**
 * @module adapters/postgres/postgres-log-append
 * The write path of `PostgresLog`, apart from its reads and tails: encoding
 * a batch (before any connection is taken), then appending it on a
 * connection whose transaction is open — the log's own, or a caller's
 * (`appendIn`), so the same code serves a joint commit with a checkpoint.
 *
 * ```
 * [claim round-robin slots] ─► lock touched partitions in order, read next offsets
 *   ─► assign offsets in input order, checksum each record
 *   ─► advance offsets + INSERT batch + pg_notify per partition (one statement)
 * ```
 */
import type { PoolClient } from 'pg';
import { MillraceError } from '../../core/errors.js';
import { hashKey } from '../../core/ids.js';
import { encodeJsonBytes } from '../../core/json-codec.js';
import type { NewRecord } from '../../ports/log.js';
import { recordChecksum } from '../common/log-record-checksum.js';
import type { PgStatement } from './pg-database.js';
import { assertStorableText } from './pg-errors.js';

/** A position returned by `append`. */
export type RecordPosition = { partition: number; offset: number };

/** A record encoded for insertion. */
export interface PendingRecord {
  key: string | undefined;
  partition: number | undefined;
  timestamp: number;
  value: Uint8Array;
}

/** A topic's id and partition count: fixed once created. */
export interface Topic {
  id: number;
  partitions: number;
}

/** The statements an append runs (see `postgres-log-sql.ts`). */
export interface AppendStatements {
  roundRobin: PgStatement;
  lock: PgStatement;
  write: PgStatement;
}

/** Where a batch went, and the checksums it was stored with (to recognise it after a lost COMMIT). */
export interface WrittenBatch {
  positions: RecordPosition[];
  crcs: number[];
}

/**
 * Validates and encodes a batch; explicit partitions are checked once the
 * topic is known.
 *
 * @throws MillraceError `CONFIG_INVALID` for a non-finite timestamp or a key PostgreSQL cannot store
 */
export function encodeRecords(topic: string, records: readonly NewRecord[], now: number): PendingRecord[] {
  return records.map((record): PendingRecord => {
    const timestamp = record.timestamp ?? now;
    if (!Number.isFinite(timestamp)) throw new MillraceError('CONFIG_INVALID', `record timestamp must be a finite number, not ${timestamp}`, { topic });
    if (record.key !== undefined) assertStorableText(record.key, 'record key', { topic });
    return { key: record.key, partition: record.partition, timestamp, value: encodeJsonBytes(record.value) };
  });
}

/**
 * Appends `pending` on `client`, whose transaction is open: offsets come
 * from the locked `next_offset`s, so they are gap-free and in input order,
 * and the notifications leave only when that transaction commits.
 */
export async function writeRecords(client: PoolClient, statements: AppendStatements, channel: string, topic: string, found: Topic, pending: PendingRecord[]): Promise<WrittenBatch> {
  if (pending.length === 0) return { positions: [], crcs: [] };
  for (const record of pending) if (record.partition !== undefined) checkPartition(topic, record.partition, found.partitions);
  const keyless = pending.filter((record) => record.partition === undefined && record.key === undefined).length;
  let slot = 0;
  if (keyless > 0) {
    const claimed = await client.query<{ first_slot: string }>({ ...statements.roundRobin, values: [found.id, keyless] });
    slot = Number(claimed.rows[0]!.first_slot);
  }
  const partitions = pending.map((record) => record.partition ?? (record.key === undefined ? slot++ % found.partitions : hashKey(record.key) % found.partitions));
  const touched = [...new Set(partitions)].sort((a, b) => a - b);
  const locked = await client.query<{ partition_no: number; next_offset: string }>({ ...statements.lock, values: [found.id, touched] });
  const nextOffsets = new Map(locked.rows.map((row) => [row.partition_no, Number(row.next_offset)]));
  const positions = partitions.map((partition) => {
    const offset = nextOffsets.get(partition)!;
    nextOffsets.set(partition, offset + 1);
    return { partition, offset };
  });
  const crcs = pending.map((record, i) => recordChecksum(topic, positions[i]!.partition, positions[i]!.offset, record.key, record.timestamp, record.value));
  const values = [
    found.id,
    touched,
    touched.map((partition) => nextOffsets.get(partition)!),
    partitions,
    positions.map((position) => position.offset),
    pending.map((record) => record.key ?? null),
    pending.map((record) => record.timestamp),
    pending.map((record) => Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength)),
    crcs,
    channel,
  ];
  await client.query({ ...statements.write, values });
  return { positions, crcs };
}

/** @throws MillraceError `LOG_PARTITION_INVALID` unless `partition` is a whole number in 0..partitions-1 */
export function checkPartition(topic: string, partition: number, partitions: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new MillraceError('LOG_PARTITION_INVALID', `topic ${topic} has partitions 0..${partitions - 1}, not ${partition}`, { topic, partition, partitions });
  }
}
