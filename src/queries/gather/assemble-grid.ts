/**
 * @module queries/gather/assemble-grid
 * The gatherer's merge: strips own disjoint RT slots, so merging is
 * copying each strip's block into place. A strip's answer comes from
 * another thread or process and is checked before it is used: a wrong
 * size is an error, never a silently shifted image.
 */
import { MillraceError } from '../../core/errors.js';
import type { StripResult, StripTask } from '../plan/strip-task.js';
import { float32View } from '../query/float32-bytes.js';
import type { AxisSlots, QueryGrid } from '../query/query-types.js';

/** An empty grid (every slot 0: no cells there). */
export function emptyGrid(rt: AxisSlots, mz: AxisSlots): QueryGrid {
  return { rt, mz, values: new Float32Array(rt.n * mz.n) };
}

/** Decodes and checks a strip's answer. @throws `TASK_FAILED` when it does not match its task */
export function decodeStripResult(value: unknown, task: StripTask): { values: Float32Array; bytesRead: number; ranges: number } {
  const r = value as Partial<StripResult> | null;
  const bytes = r?.values instanceof Uint8Array ? r.values : undefined;
  if (r === null || r.strip !== task.strip || r.width !== task.width || r.height !== task.height || bytes === undefined || bytes.length !== task.width * task.height * 4) {
    throw new MillraceError('TASK_FAILED', `strip ${task.strip} of query ${task.queryId}: the answer does not match the task (${task.width}×${task.height} slots)`, { queryId: task.queryId, strip: task.strip });
  }
  return { values: float32View(bytes), bytesRead: Number(r.bytesRead) || 0, ranges: Number(r.ranges) || 0 };
}

/** Copies a strip's block (`height` rows of `width`) into the grid at RT slot `start`. */
export function placeStrip(grid: QueryGrid, start: number, task: StripTask, values: Float32Array): void {
  const n = grid.rt.n;
  for (let m = 0; m < task.height; m++) grid.values.set(values.subarray(m * task.width, (m + 1) * task.width), m * n + start);
}
