/**
 * @module queries/render/render-task
 * Encoding a PNG as a task, so that it runs on a worker thread instead of
 * the gatherer's: deflating a 512 × 512 image of noisy data takes tens of
 * milliseconds, more than the rest of a query's work on the main thread
 * (measured in `npm run bench -- queries`). The grid goes as the bytes of
 * its float32 values (1 MB for 512 × 512), the PNG comes back as bytes.
 */
import type { QueryGrid } from '../query/query-types.js';
import { float32Bytes, float32View } from '../query/float32-bytes.js';
import { queryError } from '../query-errors.js';
import { SCALES, type Scale } from './colour-map.js';
import { renderPng } from './render-png.js';

export const RENDER_TASK = 'millrace.query.render';


export interface RenderTask {
  v: 1;
  width: number;
  height: number;
  scale: Scale;
  rtSlots: number;
  mzSlots: number;
  /** Float32 little-endian: `values[m · rtSlots + r]`. */
  values: Uint8Array;
}

export function renderTaskOf(grid: QueryGrid, width: number, height: number, scale: Scale): RenderTask {
  return { v: 1, width, height, scale, rtSlots: grid.rt.n, mzSlots: grid.mz.n, values: float32Bytes(grid.values) };
}

/** Checks a render task from the queue and encodes its PNG. @throws `QUERY_INVALID` */
export function runRenderTask(value: unknown): { png: Uint8Array } {
  const t = value as Partial<RenderTask> | null;
  const size = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1 << 16;
  const bytes = t?.values instanceof Uint8Array ? t.values : undefined;
  if (t === null || t.v !== 1 || !size(t.width) || !size(t.height) || !size(t.rtSlots) || !size(t.mzSlots) || !SCALES.includes(t.scale as Scale)
    || bytes === undefined || bytes.length !== t.rtSlots! * t.mzSlots! * 4 || t.width! * t.height! > 1 << 26) {
    throw queryError('QUERY_INVALID', 'render task: malformed (sizes, scale or values)', {});
  }
  const grid: QueryGrid = { rt: { min: 0, max: 1, n: t.rtSlots! }, mz: { min: 0, max: 1, n: t.mzSlots! }, values: float32View(bytes) };
  return { png: renderPng(grid, t.width!, t.height!, t.scale!) };
}
