/**
 * @module queries/render/render-png
 * A heatmap grid as a PNG of the size asked for: retention time left to
 * right, m/z bottom to top. A grid with fewer slots than pixels (a view
 * zoomed past the data's resolution) is scaled up by repeating slots.
 *
 * A palette PNG (one byte a pixel, the colour table as its palette): the
 * chunks (signature, IHDR, PLTE, IDAT, IEND, their CRCs) are written by
 * indexed-png, the image data deflated by Node's zlib at level 1, in
 * native code. fast-png, which wrote it before, deflates with fflate in
 * JavaScript: 20 ms a 512 × 512 view against 3 ms for zlib at level 1 on
 * unfiltered rows (bench/queries-profile.ts over the generated dataset;
 * docs/queries.md); pre-filtered rows, below, brought it to 1.3 ms.
 *
 * Rows are written already filtered, which is both the cheapest way to
 * write them and the best input for deflate. A view scales slots up, so a
 * row is runs of one index and the image repeats rows: a new row carries
 * PNG filter 1 (Sub: each byte minus the one to its left), which is one
 * byte a run and zeros within it; a repeated row carries filter 2 (Up:
 * minus the row above), all zeros. The buffer starts zeroed, so only a
 * run's first byte and each row's filter byte are written, and deflate's
 * run-length strategy squeezes the zeros. Against unfiltered rows and
 * default deflate: 1.3 against 2.6 ms of deflate and 91 against 93 kB
 * (bench/queries-profile.ts; docs/queries.md).
 */
import { constants, deflateSync } from 'node:zlib';
import { IndexedPNG } from 'indexed-png';
import type { QueryGrid } from '../query/query-types.js';
import { COLOUR_TABLE, colourIndices, type Scale } from './colour-map.js';

/** The colour table as indexed-png takes a palette: one [r, g, b] per index, 256 of them. */
const PALETTE: number[][] = Array.from({ length: COLOUR_TABLE.length / 3 }, (_, k) => [COLOUR_TABLE[k * 3]!, COLOUR_TABLE[k * 3 + 1]!, COLOUR_TABLE[k * 3 + 2]!]);

const SUB = 1;
const UP = 2;

export function renderPng(grid: QueryGrid, width: number, height: number, scale: Scale): Buffer {
  const slots = colourIndices(grid.values, scale);
  const nRt = grid.rt.n;
  const nMz = grid.mz.n;
  const runs = columnRuns(nRt, width);
  const stride = width + 1;
  const scanlines = Buffer.alloc(stride * height);
  let drawn = -1;
  for (let y = 0; y < height; y++) {
    const mzSlot = nMz - 1 - Math.floor((y * nMz) / height);
    const at = y * stride;
    if (mzSlot === drawn) {
      scanlines[at] = UP; // a slot taller than a pixel: the row above again, all zeros
      continue;
    }
    drawn = mzSlot;
    scanlines[at] = SUB;
    const row = mzSlot * nRt;
    let left = 0;
    for (let r = 0; r < runs.slot.length; r++) {
      const index = slots[row + runs.slot[r]!]!;
      if (index !== left) scanlines[at + 1 + runs.x[r]!] = (index - left) & 0xff;
      left = index;
    }
  }
  const png = new IndexedPNG();
  png.writeHeader();
  png.writeIHDR({ width, height, bitDepth: 8, colorType: 3, compressionMethod: 0, filterMethod: 0, interlaceMethod: 0 });
  png.writePLTE(PALETTE);
  png.writeChunk('IDAT', deflateSync(scanlines, { level: 1, strategy: constants.Z_RLE }));
  png.writeIEND();
  return png.getData();
}

/** Where each run of pixels showing one RT slot starts, and its slot: one run a slot, or a pixel each when there are more slots than pixels. */
function columnRuns(nRt: number, width: number): { x: Int32Array; slot: Int32Array } {
  const x = new Int32Array(Math.min(nRt, width));
  const slot = new Int32Array(x.length);
  let runs = 0;
  for (let px = 0, last = -1; px < width; px++) {
    const s = Math.floor((px * nRt) / width);
    if (s === last) continue;
    x[runs] = px;
    slot[runs++] = last = s;
  }
  return { x: x.subarray(0, runs), slot: slot.subarray(0, runs) };
}
