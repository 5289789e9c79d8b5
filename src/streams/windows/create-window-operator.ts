/**
 * @module streams/windows/create-window-operator
 * `createWindowOperator`: checks a window definition once, up front, and
 * returns the operator that evaluates it — the slicing operator for
 * tumbling, sliding and landmark windows, the session operator for sessions.
 */
import { MillraceError } from '../../core/errors.js';
import { validateAggregate, type Aggregate } from '../aggregates/aggregate.js';
import { SessionWindowOperator } from './session-operator.js';
import { SliceBuckets } from './slice-buckets.js';
import { SlicingWindowOperator } from './slicing-operator.js';
import { TwoStacks } from './two-stacks.js';
import type { EmitStrategy, WindowOperator, WindowOperatorOptions } from './window-operator.js';
import { landmark, planSlices, session, sliding, tumbling, type WindowSpec } from './window-spec.js';

/** Everything `createWindowOperator` needs: the window, the aggregate, and the options. */
export interface CreateWindowOperatorOptions<In, Acc, Out> extends WindowOperatorOptions {
  /** From `tumbling`, `sliding`, `landmark` or `session`. */
  window: WindowSpec;
  aggregate: Aggregate<In, Acc, Out>;
}

/**
 * A keyed window operator for `window`, aggregating with `aggregate`.
 * Throws `CONFIG_INVALID` with a message naming the problem for a bad
 * window, aggregate or option.
 *
 * @example
 * ```ts
 * const clicks = createWindowOperator({
 *   window: sliding({ range: 60_000, slide: 1_000 }),
 *   aggregate: count,
 *   partitions: [0, 1],
 *   allowedLatenessMs: 5_000,
 * })
 * clicks.add('page-a', event.time, event)
 * const { results, late } = clicks.advanceWatermark(0, watermark)
 * ```
 */
export function createWindowOperator<In, Acc, Out>(options: CreateWindowOperatorOptions<In, Acc, Out>): WindowOperator<In, Out> {
  const window = revalidate(options.window);
  const aggregate = validateAggregate(options.aggregate);
  const partitions = options.partitions ?? [0];
  const lateness = options.allowedLatenessMs ?? 0;
  if (!Number.isSafeInteger(lateness) || lateness < 0) {
    throw new MillraceError('CONFIG_INVALID', `allowedLatenessMs must be a whole number of milliseconds, 0 or more, got ${String(lateness)}`, { field: 'allowedLatenessMs' });
  }
  const emit = emitStrategy(options.emit);
  if (window.kind === 'session') return new SessionWindowOperator(window, aggregate, partitions, lateness, emit);
  const plan = planSlices(window);
  // Buckets whenever nothing has to leave a range without `unmerge`; two stacks only for that case.
  if (window.kind === 'landmark') return new SlicingWindowOperator(window, aggregate, new SliceBuckets(aggregate, 'landmark'), partitions, lateness, emit);
  if (plan.rangeSlices === plan.slideSlices) return new SlicingWindowOperator(window, aggregate, new SliceBuckets(aggregate, 'reset'), partitions, lateness, emit);
  if (aggregate.unmerge !== undefined) return new SlicingWindowOperator(window, aggregate, new SliceBuckets(aggregate, 'invertible', plan.rangeSlices), partitions, lateness, emit);
  return new SlicingWindowOperator(window, aggregate, new TwoStacks(aggregate), partitions, lateness, emit);
}

function emitStrategy(emit: EmitStrategy | undefined): EmitStrategy {
  if (emit === undefined || emit.early === undefined) return {};
  const everyMs = emit.early.everyMs;
  if (!Number.isSafeInteger(everyMs) || everyMs <= 0) {
    throw new MillraceError('CONFIG_INVALID', `emit.early.everyMs must be a positive whole number of milliseconds, got ${String(everyMs)}`, { field: 'emit.early.everyMs' });
  }
  return { early: { everyMs } };
}

/** Window specs are plain data and may be built by hand or read from config: check them through their factories. */
function revalidate(window: WindowSpec): WindowSpec {
  if (typeof window !== 'object' || window === null) {
    throw new MillraceError('CONFIG_INVALID', 'window must come from tumbling(), sliding(), landmark() or session()', { field: 'window' });
  }
  switch (window.kind) {
    case 'tumbling':
      return tumbling(window);
    case 'sliding':
      return sliding(window);
    case 'landmark':
      return landmark(window);
    case 'session':
      return session(window);
    default:
      throw new MillraceError('CONFIG_INVALID', `unknown window kind ${JSON.stringify((window as { kind?: unknown }).kind)}; use tumbling, sliding, landmark or session`, { field: 'window.kind' });
  }
}
