/**
 * @module queries/render/render-task
 * Encoding a PNG as a task, so that it runs on a worker thread instead of
 * the gatherer's: deflating a 512 × 512 image of noisy data takes tens of
 * milliseconds, more than the rest of a query's work on the main thread
 * (measured in `npm run bench -- queries`). The grid goes as float32 in
 * base64 (1.4 MB for 512 × 512), the PNG comes back the same way.
 */
import type { QueryGrid } from '../query/query-types.js';
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
  /** Float32 little-endian, base64: `values[m · rtSlots + r]`. */
  values: string;
}

export function renderTaskOf(grid: QueryGrid, width: number, height: number, scale: Scale): RenderTask {
  return { v: 1, width, height, scale, rtSlots: grid.rt.n, mzSlots: grid.mz.n, values: Buffer.from(grid.values.buffer, grid.values.byteOffset, grid.values.byteLength).toString('base64') };
}

/** Checks a render task from the queue and encodes its PNG (base64). @throws `QUERY_INVALID` */
export function runRenderTask(value: unknown): { png: string } {
  const t = value as Partial<RenderTask> | null;
  const size = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1 << 16;
  const bytes = typeof t?.values === 'string' ? Buffer.from(t.values, 'base64') : undefined;
  if (t === null || t.v !== 1 || !size(t.width) || !size(t.height) || !size(t.rtSlots) || !size(t.mzSlots) || !SCALES.includes(t.scale as Scale)
    || bytes === undefined || bytes.length !== t.rtSlots! * t.mzSlots! * 4 || t.width! * t.height! > 1 << 26) {
    throw queryError('QUERY_INVALID', 'render task: malformed (sizes, scale or values)', {});
  }
  const values = new Float32Array(t.rtSlots! * t.mzSlots!);
  new Uint8Array(values.buffer).set(bytes);
  const grid: QueryGrid = { rt: { min: 0, max: 1, n: t.rtSlots! }, mz: { min: 0, max: 1, n: t.mzSlots! }, values };
  return { png: renderPng(grid, t.width!, t.height!, t.scale!).toString('base64') };
}
