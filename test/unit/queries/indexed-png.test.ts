/** The palette PNG encoder: what a standard decoder (pngjs) reads back, and what it refuses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { encodeIndexedPng } from '../../../src/queries/render/indexed-png.js';

const palette = Uint8Array.from({ length: 256 * 3 }, (_, k) => (k * 37) % 256);

describe('encodeIndexedPng', () => {
  it('decodes to the palette colour of every pixel, repeated rows included', () => {
    const width = 70;
    const height = 9;
    const pixels = Uint8Array.from({ length: width * height }, (_, k) => (k * 7919) % 256);
    pixels.copyWithin(4 * width, 3 * width, 4 * width); // row 4 repeats row 3 (drawn with the "up" filter)
    const bytes = encodeIndexedPng({ width, height, pixels, palette });
    assert.equal(bytes[25], 3, 'IHDR colour type: palette');
    const png = PNG.sync.read(bytes);
    assert.deepEqual([png.width, png.height], [width, height]);
    for (let k = 0; k < width * height; k++) {
      const p = pixels[k]! * 3;
      assert.deepEqual([...png.data.subarray(k * 4, k * 4 + 4)], [palette[p], palette[p + 1], palette[p + 2], 255], `pixel ${k}`);
    }
  });

  it('refuses sizes that do not match the pixels, and palettes that are not 1–256 RGB triples', () => {
    assert.throws(() => encodeIndexedPng({ width: 3, height: 3, pixels: new Uint8Array(8), palette }), /3 × 3 does not match 8 pixels/);
    assert.throws(() => encodeIndexedPng({ width: 0, height: 3, pixels: new Uint8Array(0), palette }), RangeError);
    assert.throws(() => encodeIndexedPng({ width: 1, height: 1, pixels: new Uint8Array(1), palette: new Uint8Array(257 * 3) }), /palette/);
    assert.throws(() => encodeIndexedPng({ width: 1, height: 1, pixels: new Uint8Array(1), palette: new Uint8Array(4) }), /palette/);
  });
});
