/**
 * @module queries/render/render-png
 * A heatmap grid as a PNG of the size asked for: retention time left to
 * right, m/z bottom to top. A grid with fewer slots than pixels (a view
 * zoomed past the data's resolution) is scaled up by repeating slots.
 * Encoded by pngjs at deflate level 1 with the "up" filter (rows repeated
 * by zooming cost nothing to compress): pngjs' defaults (level 9, every
 * filter tried per row) took several times longer for 512 × 512.
 */
import { PNG } from 'pngjs';
import type { QueryGrid } from '../query/query-types.js';
import { COLOUR_TABLE, colourIndexer, type Scale } from './colour-map.js';

export function renderPng(grid: QueryGrid, width: number, height: number, scale: Scale): Buffer {
  const index = colourIndexer(grid.values, scale);
  const nRt = grid.rt.n;
  const nMz = grid.mz.n;
  const columns = new Int32Array(width);
  for (let x = 0; x < width; x++) columns[x] = Math.floor((x * nRt) / width);
  const rowBytes = width * 3;
  const rgb = Buffer.alloc(rowBytes * height);
  const slotColours = new Uint8Array(nRt * 3);
  let drawn = -1;
  for (let y = 0; y < height; y++) {
    const mzSlot = nMz - 1 - Math.floor((y * nMz) / height);
    if (mzSlot === drawn) {
      rgb.copyWithin(y * rowBytes, (y - 1) * rowBytes, y * rowBytes); // a slot taller than a pixel: same row again
      continue;
    }
    drawn = mzSlot;
    for (let r = 0; r < nRt; r++) {
      const k = index(grid.values[mzSlot * nRt + r]!) * 3;
      slotColours[r * 3] = COLOUR_TABLE[k]!;
      slotColours[r * 3 + 1] = COLOUR_TABLE[k + 1]!;
      slotColours[r * 3 + 2] = COLOUR_TABLE[k + 2]!;
    }
    let at = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const c = columns[x]! * 3;
      rgb[at++] = slotColours[c]!;
      rgb[at++] = slotColours[c + 1]!;
      rgb[at++] = slotColours[c + 2]!;
    }
  }
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = rgb;
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 1, filterType: 2 });
}
