/**
 * @module streams/windows/window-operator
 * The keyed window operator's contract, shared by the slicing operator
 * (tumbling, sliding, landmark) and the session operator.
 *
 * It is pure: plain data in (`add`, `advanceWatermark`), plain data out
 * (`WindowOutput`), time only through arguments. The stream runtime owns
 * sources, checkpoints and sinks; it calls this.
 *
 * Guarantees:
 * - **Every event is accounted for.** `add` returns what it did; late and
 *   rejected events come back whole in the output; the metrics count all four
 *   outcomes. Nothing is dropped silently.
 * - **One final result per range and key**, once the watermark passes the
 *   range's end; ranges with no events for a key emit nothing for it.
 * - **Deterministic order.** Each hand-back lists updates, then final
 *   results, then early results, each by window end and then key
 *   (`compareKeys`). Given the same calls in the same order, the output is
 *   the same: a replay of the log reproduces the live run.
 * - **Bounded state.** A key's state is dropped once it holds no slice that
 *   a future range or an update could need.
 */
import type { StreamKey } from '../stream-key.js';
import type { PartitionId } from '../time/watermark-tracker.js';
import type { AddOutcome, WindowOperatorMetrics, WindowOutput } from './window-output.js';
import type { WindowSpec } from './window-spec.js';

/** When results are emitted besides the final one. */
export interface EmitStrategy {
  /**
   * Early results for ranges still open: each time the watermark crosses a
   * multiple of `everyMs`, the range that closes next is emitted (kind
   * `early`) for every key whose content changed since its last early result.
   * Driven by the watermark, not a wall clock, so a replay emits the same
   * early results. For processing-time windows the watermark *is* the clock.
   * @defaultValue undefined (final results only)
   */
  early?: { everyMs: number };
}

/** Options of `createWindowOperator`. */
export interface WindowOperatorOptions {
  /**
   * The upstream partitions whose watermarks are combined (minimum).
   * @defaultValue [0]
   */
  partitions?: readonly PartitionId[];
  /**
   * How long after a range's end an event may still change it: within this
   * time the range is re-emitted (kind `update`); later, the event goes to
   * the `late` output. 0 means a range is final once emitted.
   * @defaultValue 0
   */
  allowedLatenessMs?: number;
  /** @defaultValue {} (final results only) */
  emit?: EmitStrategy;
}

/** A keyed window operator: events in, window results out. */
export interface WindowOperator<In, Out> {
  readonly window: WindowSpec;
  /**
   * Adds one event to `key`'s state: the slice (or session) its `time`
   * falls in. Returns what happened to it; late and rejected events are
   * also kept for the next hand-back.
   */
  add(key: StreamKey, time: number, value: In): AddOutcome;
  /**
   * Records `partition`'s watermark, closes every range the combined
   * watermark passed (final results, ordered by end then key), emits early
   * results if due, and hands back all output since the last hand-back.
   */
  advanceWatermark(partition: PartitionId, watermark: number): WindowOutput<In, Out>;
  /** Leaves `partition` out of the watermark minimum until it advances again; hands back output like `advanceWatermark`. */
  markIdle(partition: PartitionId): WindowOutput<In, Out>;
  /** Hands back pending output (updates, late and rejected events) without moving the watermark. */
  drain(): WindowOutput<In, Out>;
  /** The combined watermark (`-Infinity` until every partition has reported). */
  readonly watermark: number;
  metrics(): WindowOperatorMetrics;
}
