/**
 * @module queries/render/colour-map
 * Intensity to colour: a perceptually ordered ramp (viridis' anchors,
 * interpolated to 256 entries), with 0 drawn black so "no signal" stands
 * apart from "low signal". Linear or logarithmic (log1p) scaling against
 * the largest value in the image.
 */

export type Scale = 'linear' | 'log';
export const SCALES: readonly Scale[] = ['linear', 'log'];

const ANCHORS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

/** 256 RGB entries; entry 0 is black (value 0). */
export const COLOUR_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(256 * 3);
  for (let k = 1; k < 256; k++) {
    const t = ((k - 1) / 254) * (ANCHORS.length - 1);
    const a = ANCHORS[Math.floor(t)]!;
    const b = ANCHORS[Math.min(ANCHORS.length - 1, Math.floor(t) + 1)]!;
    const f = t - Math.floor(t);
    for (let ch = 0; ch < 3; ch++) table[k * 3 + ch] = Math.round(a[ch]! + (b[ch]! - a[ch]!) * f);
  }
  return table;
})();

/**
 * Each value's table entry: 0 → 0, the largest value → 255, in one pass
 * (a loop, not a function a value: this runs for every slot of every image).
 */
export function colourIndices(values: Float32Array, scale: Scale): Uint8Array {
  const out = new Uint8Array(values.length);
  let top = 0;
  for (let k = 0; k < values.length; k++) if (values[k]! > top) top = values[k]!;
  if (top <= 0) return out;
  if (scale === 'log') {
    const denominator = Math.log1p(top);
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (v > 0) out[k] = 1 + Math.round((Math.log1p(v) / denominator) * 254);
    }
  } else {
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      if (v > 0) out[k] = 1 + Math.round((v / top) * 254);
    }
  }
  return out;
}
