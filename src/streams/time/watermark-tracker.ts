/**
 * @module streams/time/watermark-tracker
 * Combines the watermarks of a window's upstream partitions into one.
 *
 * A partition's watermark `w` is its promise that no event with a time
 * below `w` will follow. The operator may close a range once *every*
 * partition has made that promise for the range's end, so its watermark is
 * the minimum over partitions:
 *
 * ```
 *  partition a  ──────────── 12:05
 *  partition b  ───────── 12:03        operator watermark = min = 12:03
 *  partition c  (idle)                 not counted while idle
 * ```
 *
 * Rules, and why:
 * - Per partition, watermarks only move forward. A lower one (a source
 *   re-reading, clocks disagreeing) is ignored and counted: moving back would
 *   re-open ranges already emitted as final.
 * - Before every partition has reported, the watermark is `-Infinity`: a
 *   partition that has said nothing might still send anything.
 * - A partition marked idle (a Kafka-style partition with no traffic) is
 *   left out of the minimum, so it does not hold every window open. That is
 *   a promise too: if it resumes with events below the operator's watermark,
 *   they are late (and handled by the allowed lateness, never dropped). It
 *   becomes active again on its next `advance`. If every partition is idle,
 *   the watermark is the highest any of them reported.
 * - The operator's watermark never moves back, whatever partitions do.
 * - `Infinity` is a valid watermark: "this partition has ended".
 */
import { MillraceError } from '../../core/errors.js';

/** Names a source partition: a Log partition number, a file name. */
export type PartitionId = string | number;

interface PartitionMark {
  watermark: number;
  idle: boolean;
}

/**
 * Per-partition watermarks and their minimum.
 *
 * @example
 * ```ts
 * const marks = new WatermarkTracker([0, 1])
 * marks.advance(0, 5_000) // -Infinity: partition 1 has not reported
 * marks.advance(1, 3_000) // 3_000
 * marks.markIdle(1)       // 5_000
 * ```
 */
export class WatermarkTracker {
  private readonly partitions = new Map<PartitionId, PartitionMark>();
  private combined = Number.NEGATIVE_INFINITY;
  /** Watermarks ignored because they were below their partition's last one. */
  regressions = 0;

  constructor(partitions: readonly PartitionId[]) {
    if (!Array.isArray(partitions) || partitions.length === 0) {
      throw new MillraceError('CONFIG_INVALID', 'partitions must list at least one partition id', { field: 'partitions' });
    }
    for (const id of partitions) {
      if (typeof id !== 'string' && typeof id !== 'number') throw new MillraceError('CONFIG_INVALID', `partition ids are strings or numbers, got ${typeof id}`, { field: 'partitions' });
      if (this.partitions.has(id)) throw new MillraceError('CONFIG_INVALID', `partition ${String(id)} is listed twice`, { field: 'partitions' });
      this.partitions.set(id, { watermark: Number.NEGATIVE_INFINITY, idle: false });
    }
  }

  /** The combined watermark: minimum over active partitions; never decreases. */
  get current(): number {
    return this.combined;
  }

  /** Records `partition`'s watermark (and marks it active); returns the combined watermark. */
  advance(partition: PartitionId, watermark: number): number {
    if (typeof watermark !== 'number' || Number.isNaN(watermark) || watermark === Number.NEGATIVE_INFINITY) {
      throw new MillraceError('CONFIG_INVALID', `a watermark is a number of milliseconds (or Infinity for "ended"), got ${String(watermark)}`, { partition });
    }
    const mark = this.mark(partition);
    mark.idle = false;
    if (watermark < mark.watermark) this.regressions++;
    else mark.watermark = watermark;
    return this.recompute();
  }

  /** Leaves `partition` out of the minimum until it next advances; returns the combined watermark. */
  markIdle(partition: PartitionId): number {
    this.mark(partition).idle = true;
    return this.recompute();
  }

  private mark(partition: PartitionId): PartitionMark {
    const mark = this.partitions.get(partition);
    if (mark === undefined) {
      throw new MillraceError('CONFIG_INVALID', `partition ${JSON.stringify(partition)} is not one of this operator's partitions (${[...this.partitions.keys()].map((p) => JSON.stringify(p)).join(', ')})`, { partition });
    }
    return mark;
  }

  private recompute(): number {
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    let active = 0;
    for (const mark of this.partitions.values()) {
      if (mark.watermark > highest) highest = mark.watermark;
      if (mark.idle) continue;
      active++;
      if (mark.watermark < lowest) lowest = mark.watermark;
    }
    const candidate = active > 0 ? lowest : highest;
    if (candidate > this.combined) this.combined = candidate;
    return this.combined;
  }
}
