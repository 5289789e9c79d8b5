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
import { float32Bytes } from '../query/float32-bytes.js';
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
  let sum: Float64Array | undefined;
  let bytesRead = 0;
  let ranges = 0;
  for (const file of task.files) {
    const reads = await Promise.all(file.ranges.map(([offset, length]) => blobs.getRange(file.ref, offset, length)));
    bytesRead += file.ranges.reduce((total, [, length]) => total + length, 0);
    ranges += file.ranges.length;
    const value = aggregateFile(task, file, reads);
    if (sum === undefined) sum = value;
    else for (let k = 0; k < slots; k++) sum[k] = sum[k]! + value[k]!;
  }
  // Accumulated RT-slot-major (see aggregateFile); answered m/z-major, as the grid is laid out.
  const values = new Float32Array(slots);
  const { width: w, height: h, fileCount } = task;
  if (sum !== undefined) {
    for (let r = 0; r < w; r++) {
      const row = r * h;
      for (let m = 0; m < h; m++) values[m * w + r] = sum[row + m]! / fileCount;
    }
  }
  return { strip: task.strip, width: task.width, height: task.height, values: float32Bytes(values), bytesRead, ranges };
}

/**
 * One file's value per slot: its max, sum or mean over the base cells of
 * the cells in the slot (0 where none), laid out RT slot by RT slot
 * (`rtSlot × height + mzSlot`). One loop an aggregate, over precomputed
 * slots: this is every cell a query reads, and a test of the
 * aggregate or of the column's slot a cell was a third of it. The layout
 * follows the tiles' rows, so consecutive cells of a row land in the same
 * or the next slot: laid out m/z-major, each cell was a write a whole
 * grid row away from the last, a cache miss on a large view.
 */
function aggregateFile(task: StripTask, file: StripFile, reads: Uint8Array[]): Float64Array {
  const { geometry: g, i, j } = file;
  const h = task.height;
  const acc = new Float64Array(task.width * h);
  const mean = task.aggregate === 'mean';
  const max = task.aggregate === 'max';
  const count = mean ? new Float64Array(acc.length) : undefined;
  const colBase = file.c0 * g.tileCols;
  // Per column: its m/z slot, or -1 when it is outside the view.
  const mzSlots = Int32Array.from(file.colSlots);
  const spans = mean ? Float64Array.from(file.colSlots, (_, k) => colSpan(g, j, colBase + k)) : undefined;
  for (let band = file.b0; band < file.b1; band++) {
    const tiles = decodeBand(reads[band - file.b0]!, g, i, j, band, file.c0, file.c1, file.ref.key);
    const rows = bandRows(g, i, band);
    for (let t = 0; t < tiles.length; t++) {
      const tile = tiles[t]!;
      const c = file.c0 + t;
      const width = tileWidth(g, j, c);
      const firstCol = c * g.tileCols - colBase;
      for (let r = 0; r < rows; r++) {
        const rtSlot = file.rowSlots[(band - file.b0) * g.tileRows + r]!;
        if (rtSlot < 0) continue;
        const rowStart = rtSlot * h;
        const cells = r * width;
        if (max) {
          for (let k = 0; k < width; k++) {
            const mzSlot = mzSlots[firstCol + k]!;
            if (mzSlot < 0) continue;
            const v = tile[cells + k]!;
            if (v > acc[rowStart + mzSlot]!) acc[rowStart + mzSlot] = v;
          }
        } else if (count === undefined) {
          for (let k = 0; k < width; k++) {
            const mzSlot = mzSlots[firstCol + k]!;
            if (mzSlot >= 0) acc[rowStart + mzSlot] = acc[rowStart + mzSlot]! + tile[cells + k]!;
          }
        } else {
          const rowWeight = rowSpan(g, i, band * g.tileRows + r);
          for (let k = 0; k < width; k++) {
            const mzSlot = mzSlots[firstCol + k]!;
            if (mzSlot < 0) continue;
            acc[rowStart + mzSlot] = acc[rowStart + mzSlot]! + tile[cells + k]!;
            count[rowStart + mzSlot] = count[rowStart + mzSlot]! + rowWeight * spans![firstCol + k]!;
          }
        }
      }
    }
  }
  if (count !== undefined) for (let k = 0; k < acc.length; k++) acc[k] = count[k]! > 0 ? acc[k]! / count[k]! : 0;
  return acc;
}
