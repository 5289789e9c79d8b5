/**
 * @module streams/aggregates/aggregate
 * The contract every window aggregate follows. Windows never keep events:
 * they keep one accumulator per key and *slice*, and build a range's result
 * by merging slice accumulators. So an aggregate is five functions and the
 * laws that make merging slices equal to adding every event.
 *
 * Laws (checked on random data in test/unit/streams/aggregates.test.ts):
 *
 * ```
 *  identity      merge(init(), a)                 ≡ a
 *  associative   merge(merge(a, b), c)            ≡ merge(a, merge(b, c))
 *  commutative   merge(a, b)                      ≡ merge(b, a)
 *  homomorphic   result(merge(fold(xs), fold(ys))) = result(fold(xs ++ ys))   fold = add over init()
 *  add as merge  add(a, v)                        ≡ merge(a, add(init(), v))
 *  inverse       unmerge(merge(a, b), b)          ≡ a            (only if unmerge is given)
 * ```
 *
 * Commutativity is what lets a late event be added to an accumulator that
 * already holds later slices; an aggregate that depends on order (first,
 * last) must carry the event time in its accumulator and decide by it.
 *
 * With `unmerge`, a sliding range costs O(1) per slice: add the slice that
 * enters, unmerge the one that leaves. Without it (min, max, top-k, distinct
 * count), ranges are evaluated with two stacks of slice partials — amortised
 * O(1) merges per slice, never a rescan of the range.
 */
import { MillraceError } from '../../core/errors.js';

/**
 * An aggregate over values of type `In`, kept in accumulators of type `Acc`
 * and read out as `Out`.
 *
 * Accumulators may be mutable, for speed: `add`, `merge` and `unmerge` may
 * change their **first** argument and return it, and must not change the
 * second. The engine never lets two owners share one accumulator: it copies
 * with `merge(init(), acc)` where it needs a copy. `result` must not change
 * its argument, and must not return a live part of it (return a copy of an
 * array it keeps, not the array), because the accumulator keeps changing.
 *
 * @example
 * ```ts
 * const sumOfSquares: Aggregate<number, number, number> = {
 *   name: 'sum-of-squares',
 *   init: () => 0,
 *   add: (acc, v) => acc + v * v,
 *   merge: (a, b) => a + b,
 *   unmerge: (a, b) => a - b,
 *   result: (acc) => acc,
 * }
 * ```
 */
export interface Aggregate<In, Acc, Out> {
  /** Shown in errors, metrics and docs: `count`, `top-3`. */
  readonly name: string;
  /** A fresh, empty accumulator (the identity of `merge`). */
  init(): Acc;
  /** Folds one value in; may mutate and return `acc`. */
  add(acc: Acc, value: In): Acc;
  /** Folds accumulator `b` into `a`; may mutate and return `a`, must not change `b`. */
  merge(a: Acc, b: Acc): Acc;
  /** Removes accumulator `b`, which was merged into `a` before; omit it when that cannot be done exactly. */
  unmerge?(a: Acc, b: Acc): Acc;
  /** Reads the result out; must not change `acc` or return a live part of it. */
  result(acc: Acc): Out;
}

const REQUIRED = ['init', 'add', 'merge', 'result'] as const;

/**
 * Checks that `aggregate` has a name and the functions it must have, so a
 * mistake is reported where the window is defined rather than on the first
 * event. Throws `CONFIG_INVALID` naming the missing or wrong field.
 */
export function validateAggregate<In, Acc, Out>(aggregate: Aggregate<In, Acc, Out>): Aggregate<In, Acc, Out> {
  if (typeof aggregate !== 'object' || aggregate === null) {
    throw new MillraceError('CONFIG_INVALID', `aggregate must be an object with init, add, merge and result, got ${aggregate === null ? 'null' : typeof aggregate}`, { field: 'aggregate' });
  }
  const candidate = aggregate as unknown as Record<string, unknown>;
  if (typeof candidate.name !== 'string' || candidate.name.length === 0) {
    throw new MillraceError('CONFIG_INVALID', "aggregate needs a 'name' (a non-empty string)", { field: 'name' });
  }
  for (const field of REQUIRED) {
    if (typeof candidate[field] !== 'function') {
      throw new MillraceError('CONFIG_INVALID', `aggregate '${candidate.name}': '${field}' must be a function, got ${typeof candidate[field]}`, { aggregate: candidate.name, field });
    }
  }
  if (candidate.unmerge !== undefined && typeof candidate.unmerge !== 'function') {
    throw new MillraceError('CONFIG_INVALID', `aggregate '${candidate.name}': 'unmerge' must be a function or left out, got ${typeof candidate.unmerge}`, { aggregate: candidate.name, field: 'unmerge' });
  }
  return aggregate;
}

/** An independent copy of `acc` (merged into a fresh one), for places that must not share it. */
export function copyAccumulator<Acc>(aggregate: Aggregate<never, Acc, unknown>, acc: Acc): Acc {
  return aggregate.merge(aggregate.init(), acc);
}
