/**
 * @module queries/render/render-png
 * A heatmap grid as a PNG of the size asked for: retention time left to
 * right, m/z bottom to top. A grid with fewer slots than pixels (a view
 * zoomed past the data's resolution) is scaled up by repeating slots.
 *
 * A palette PNG (one byte a pixel, the colour table as its palette), which
 * encodes in about a third of the time of RGB through pngjs and comes out
 * a sixth of the size on noisy data (measured in bench/queries-profile.ts;
 * docs/queries.md). Decoded, the pixels are the same colours.
 */
import type { QueryGrid } from '../query/query-types.js';
import { COLOUR_TABLE, colourIndices, type Scale } from './colour-map.js';
import { encodeIndexedPng } from './indexed-png.js';

export function renderPng(grid: QueryGrid, width: number, height: number, scale: Scale): Buffer {
  const slots = colourIndices(grid.values, scale);
  const nRt = grid.rt.n;
  const nMz = grid.mz.n;
  const columns = new Int32Array(width);
  for (let x = 0; x < width; x++) columns[x] = Math.floor((x * nRt) / width);
  const pixels = new Uint8Array(width * height);
  let drawn = -1;
  for (let y = 0; y < height; y++) {
    const mzSlot = nMz - 1 - Math.floor((y * nMz) / height);
    const at = y * width;
    if (mzSlot === drawn) {
      pixels.copyWithin(at, at - width, at); // a slot taller than a pixel: same row again
      continue;
    }
    drawn = mzSlot;
    const row = mzSlot * nRt;
    for (let x = 0; x < width; x++) pixels[at + x] = slots[row + columns[x]!]!;
  }
  return encodeIndexedPng({ width, height, pixels, palette: COLOUR_TABLE });
}
