/**
 * @module streams/runtime/join-buffer
 * Buffers correlated events by key until every named part has arrived —
 * then hands the complete set on — or until the set has waited
 * `timeoutMs` of event time, when it goes out incomplete, listing what is
 * missing. Pure: time only through arguments, so a replay of the same
 * events in the same order gives the same sets.
 *
 * ```
 *  order#7 ──┐
 *  payment#7 ┼──▶ { order, payment, shipment } complete ──▶ joined output
 *  shipment#7┘
 *  order#8 ── … watermark passes first arrival + timeout ──▶ incomplete output (missing: payment, shipment)
 * ```
 */
import { MillraceError } from '../../core/errors.js';
import type { StreamKey } from '../stream-key.js';

/** A set handed on: every part (complete) or those that came (incomplete). */
export interface JoinedSet<E> {
  key: StreamKey;
  parts: Record<string, E>;
  complete: boolean;
  /** Part names that never arrived (empty when complete). */
  missing: string[];
  /** Event time of the first part to arrive. */
  firstAt: number;
}

/** What `add` did: a set completed, the part was buffered, or it repeated a part already buffered (the first one is kept). */
export type JoinOutcome<E> = { type: 'complete'; set: JoinedSet<E> } | { type: 'buffered' } | { type: 'duplicate-part' } | { type: 'unknown-part'; part: string };

interface Pending<E> {
  firstAt: number;
  parts: Record<string, E>;
}

export class JoinBuffer<E> {
  private readonly pending = new Map<StreamKey, Pending<E>>();

  constructor(readonly partNames: readonly string[], readonly timeoutMs: number) {
    if (partNames.length < 2 || new Set(partNames).size !== partNames.length) {
      throw new MillraceError('CONFIG_INVALID', `a join needs at least two distinct part names, got ${JSON.stringify(partNames)}`, { field: 'parts' });
    }
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new MillraceError('CONFIG_INVALID', `join timeoutMs must be a positive whole number, got ${timeoutMs}`, { field: 'timeoutMs' });
  }

  get size(): number {
    return this.pending.size;
  }

  add(key: StreamKey, part: string, time: number, event: E): JoinOutcome<E> {
    if (!this.partNames.includes(part)) return { type: 'unknown-part', part };
    let entry = this.pending.get(key);
    if (entry === undefined) this.pending.set(key, (entry = { firstAt: time, parts: {} }));
    if (Object.hasOwn(entry.parts, part)) return { type: 'duplicate-part' };
    entry.parts[part] = event;
    entry.firstAt = Math.min(entry.firstAt, time);
    if (Object.keys(entry.parts).length < this.partNames.length) return { type: 'buffered' };
    this.pending.delete(key);
    return { type: 'complete', set: { key, parts: entry.parts, complete: true, missing: [], firstAt: entry.firstAt } };
  }

  /** Sets whose first part arrived at or before `watermark − timeoutMs`, in order of first arrival, then key. */
  expire(watermark: number): JoinedSet<E>[] {
    const expired: JoinedSet<E>[] = [];
    for (const [key, entry] of this.pending) {
      if (entry.firstAt + this.timeoutMs > watermark) continue;
      this.pending.delete(key);
      expired.push({ key, parts: entry.parts, complete: false, missing: this.partNames.filter((name) => !Object.hasOwn(entry.parts, name)), firstAt: entry.firstAt });
    }
    return expired.sort((a, b) => a.firstAt - b.firstAt || (String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0));
  }

  /** Plain data for a checkpoint. */
  snapshot(): Array<[StreamKey, number, Record<string, E>]> {
    return [...this.pending].map(([key, entry]) => [key, entry.firstAt, entry.parts]);
  }

  restore(snapshot: Array<[StreamKey, number, Record<string, E>]>): void {
    this.pending.clear();
    for (const [key, firstAt, parts] of snapshot) this.pending.set(key, { firstAt, parts });
  }
}
