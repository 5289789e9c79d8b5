/**
 * @module queries/service/execute-plan
 * Scatter a plan's strips through a runner and gather the answers into
 * one grid. Every strip must answer: a strip missing or malformed fails
 * the query, so a result is complete or there is none.
 */
import { MillraceError } from '../../core/errors.js';
import type { QueryPlan } from '../plan/plan-query.js';
import type { NormalisedQuery, QueryResult } from '../query/query-types.js';
import { decodeStripResult, emptyGrid, placeStrip } from '../gather/assemble-grid.js';
import type { StripRunner } from './strip-runner.js';

export async function executePlan(query: NormalisedQuery, plan: QueryPlan, runner: StripRunner, options: { signal?: AbortSignal; deadlineAt: number }): Promise<QueryResult> {
  const grid = emptyGrid(plan.rt, plan.mz);
  const starts = new Map(plan.strips.map((task, k) => [task, plan.stripStarts[k]!]));
  const done = new Set<number>();
  let bytesRead = 0;
  let ranges = 0;
  const report = await runner.run(plan.strips, {
    signal: options.signal,
    deadlineAt: options.deadlineAt,
    onResult: (task, result) => {
      if (done.has(task.strip)) return; // a duplicate answer (a retried strip whose first attempt answered late)
      const decoded = decodeStripResult(result, task);
      placeStrip(grid, starts.get(task)!, task, decoded.values);
      bytesRead += decoded.bytesRead;
      ranges += decoded.ranges;
      done.add(task.strip);
    },
  });
  if (done.size !== plan.strips.length) {
    throw new MillraceError('TASK_FAILED', `query ${query.dataset}: ${plan.strips.length - done.size} of ${plan.strips.length} strips never answered`, { dataset: query.dataset });
  }
  return { query, grid, levels: plan.levels, stats: { subtasks: plan.strips.length, ranges, bytesRead, retries: report.retries } };
}
