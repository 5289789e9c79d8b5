/**
 * @module queries/compute/compute-strip
 * The worker's side of a query: read a strip's byte ranges, verify every
 * tile, and aggregate cells into the strip's slots, file by file; then
 * average the files. Runs wherever the task runs (a worker thread, another
 * process); needs only a `BlobStore`.
 */
import type { BlobStore } from '../../ports/blob-store.js';
import { decodeBand } from '../format/dataset-file-reader.js';
import { bandRows, colSpan, rowSpan, tileWidth } from '../format/layout.js';
import { queryError } from '../query-errors.js';
import type { StripFile, StripResult, StripTask } from '../plan/strip-task.js';

/**
 * Computes one strip.
 * @throws `QUERY_DEADLINE_EXCEEDED` when the deadline has passed before it starts (nobody waits for it),
 *   `STORAGE_CORRUPT` when a tile fails its checksum
 */
export async function computeStrip(task: StripTask, blobs: BlobStore, now: () => number = Date.now): Promise<StripResult> {
  if (now() > task.deadlineAt) {
    throw queryError('QUERY_DEADLINE_EXCEEDED', `strip ${task.strip} of query ${task.queryId} arrived after its deadline; dropped unread`, { queryId: task.queryId, strip: task.strip });
  }
  const slots = task.width * task.height;
  const out = new Float64Array(slots);
  let bytesRead = 0;
  let ranges = 0;
  for (const file of task.files) {
    const reads = await Promise.all(file.ranges.map(([offset, length]) => blobs.getRange(file.ref, offset, length)));
    bytesRead += file.ranges.reduce((sum, [, length]) => sum + length, 0);
    ranges += file.ranges.length;
    const value = aggregateFile(task, file, reads);
    for (let k = 0; k < slots; k++) out[k] = out[k]! + value[k]!;
  }
  const values = new Float32Array(slots);
  for (let k = 0; k < slots; k++) values[k] = out[k]! / task.fileCount;
  return { strip: task.strip, width: task.width, height: task.height, values: new Uint8Array(values.buffer), bytesRead, ranges };
}

/** One file's value per slot: its max, sum or mean over the base cells of the cells in the slot (0 where none). */
function aggregateFile(task: StripTask, file: StripFile, reads: Uint8Array[]): Float64Array {
  const { geometry: g, i, j } = file;
  const w = task.width;
  const acc = new Float64Array(w * task.height);
  const mean = task.aggregate === 'mean';
  const count = mean ? new Float64Array(acc.length) : undefined;
  const max = task.aggregate === 'max';
  const colBase = file.c0 * g.tileCols;
  const spans = mean ? file.colSlots.map((_, k) => colSpan(g, j, colBase + k)) : [];
  for (let band = file.b0; band < file.b1; band++) {
    const tiles = decodeBand(reads[band - file.b0]!, g, i, j, band, file.c0, file.c1, file.ref.key);
    const rows = bandRows(g, i, band);
    tiles.forEach((tile, t) => {
      const c = file.c0 + t;
      const width = tileWidth(g, j, c);
      const firstCol = c * g.tileCols - colBase;
      for (let r = 0; r < rows; r++) {
        const slot = file.rowSlots[(band - file.b0) * g.tileRows + r]!;
        if (slot < 0) continue;
        const rowWeight = mean ? rowSpan(g, i, band * g.tileRows + r) : 0;
        for (let k = 0; k < width; k++) {
          const mzSlot = file.colSlots[firstCol + k]!;
          if (mzSlot < 0) continue;
          const at = mzSlot * w + slot;
          const v = tile[r * width + k]!;
          if (max) {
            if (v > acc[at]!) acc[at] = v;
          } else {
            acc[at] = acc[at]! + v;
            if (count !== undefined) count[at] = count[at]! + rowWeight * spans[firstCol + k]!;
          }
        }
      }
    });
  }
  if (count !== undefined) for (let k = 0; k < acc.length; k++) acc[k] = count[k]! > 0 ? acc[k]! / count[k]! : 0;
  return acc;
}
