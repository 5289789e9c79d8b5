/**
 * @module streams/windows/slice-ring
 * One key's slice partials in a ring, ordered by slice index, for the
 * two-stacks store. Only slices that received events are stored, so a key
 * with one event an hour costs one entry an hour whatever the slice length.
 *
 * Positions are absolute counters (`head ≤ flip ≤ pos ≤ tail`), masked into
 * the ring; they are rebased before masking could overflow 32 bits.
 * `front` runs parallel to the partials: the two-stacks suffix aggregates.
 */
import type { StreamKey } from '../stream-key.js';
import { KeyState } from './slice-store.js';

const INITIAL_CAPACITY = 8;
const REBASE_AT = 2 ** 30;

export class SliceRing<Acc> extends KeyState<Acc> {
  idx: number[];
  acc: Acc[];
  front: Acc[];
  mask = INITIAL_CAPACITY - 1;
  head = 0;
  flip = 0;
  pos = 0;
  tail = 0;

  constructor(key: StreamKey, placeholder: Acc) {
    super(key);
    this.idx = filled(INITIAL_CAPACITY, 0);
    this.acc = filled(INITIAL_CAPACITY, placeholder);
    this.front = filled(INITIAL_CAPACITY, placeholder);
  }

  /** First position in [head, tail) whose slice is ≥ `slice` (binary search). */
  protected search(slice: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = lo + ((hi - lo) >>> 1);
      if (this.idx[mid & this.mask]! < slice) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Opens a gap at position `p` for `slice` with partial `empty`; positions at or after `p` move up by one. */
  protected insertAt(p: number, slice: number, empty: Acc): void {
    if (this.tail - this.head > this.mask) this.grow();
    const mask = this.mask;
    for (let j = this.tail; j > p; j--) {
      this.idx[j & mask] = this.idx[(j - 1) & mask]!;
      this.acc[j & mask] = this.acc[(j - 1) & mask]!;
      this.front[j & mask] = this.front[(j - 1) & mask]!;
    }
    this.idx[p & mask] = slice;
    this.acc[p & mask] = empty;
    this.tail++;
  }

  /** Room for one more entry at the tail. */
  protected reserve(): void {
    if (this.tail - this.head > this.mask) this.grow();
  }

  protected rebaseIfNeeded(): void {
    if (this.head < REBASE_AT) return;
    // Same ring slots, smaller numbers: shift by a multiple of the capacity.
    const shift = this.head - (this.head & this.mask);
    this.head -= shift;
    this.flip -= shift;
    this.pos -= shift;
    this.tail -= shift;
  }

  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const mask = capacity - 1;
    const placeholder = this.acc[this.head & this.mask]!;
    const idx = filled(capacity, 0);
    const acc = filled(capacity, placeholder);
    const front = filled(capacity, placeholder);
    for (let j = this.head; j < this.tail; j++) {
      idx[j & mask] = this.idx[j & this.mask]!;
      acc[j & mask] = this.acc[j & this.mask]!;
      front[j & mask] = this.front[j & this.mask]!;
    }
    this.idx = idx;
    this.acc = acc;
    this.front = front;
    this.mask = mask;
  }
}

/** A packed array (not holey: reads skip the hole check) of `length` copies of `value`. */
function filled<T>(length: number, value: T): T[] {
  const out: T[] = [];
  for (let i = 0; i < length; i++) out.push(value);
  return out;
}
