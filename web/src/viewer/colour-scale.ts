/**
 * The colour ramp the server paints heatmaps with
 * (src/queries/render/colour-map.ts: viridis' anchors, 0 drawn black), and
 * the value at each point of it. The anchors are repeated here because the
 * browser bundle does not reach into the server's sources;
 * test/unit/web/viewer-state.test.ts checks the two agree.
 */
import type { Scale } from './view-state.js';

export const VIRIDIS_ANCHORS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
  [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37],
];

/** The value drawn at fraction `t` of the ramp (0 bottom, 1 top). */
export function valueAt(t: number, max: number, scale: Scale): number {
  return scale === 'log' ? Math.expm1(t * Math.log1p(max)) : t * max;
}

