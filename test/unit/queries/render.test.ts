/** Rendering: PNG orientation, scaling and colours; JSON points; the binary layout. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { decodeMessageBody, encodeMessageBody } from '../../../src/core/message-body.js';
import { renderPng } from '../../../src/queries/render/render-png.js';
import { renderBinary, renderJson } from '../../../src/queries/render/render-points.js';
import { COLOUR_TABLE, colourIndices } from '../../../src/queries/render/colour-map.js';
import { renderTaskOf, runRenderTask } from '../../../src/queries/render/render-task.js';
import type { NormalisedQuery, QueryGrid, QueryResult } from '../../../src/queries/query/query-types.js';

/** 3 RT slots × 2 m/z slots: the top-right slot (highest m/z, latest RT) is the largest. */
const grid: QueryGrid = { rt: { min: 0, max: 30, n: 3 }, mz: { min: 100, max: 200, n: 2 }, values: Float32Array.of(0, 1, 2, 3, 4, 100) };
const query: NormalisedQuery = { kind: 'heatmap', dataset: 'd', revision: 1, manifestSha256: 'x', files: ['a'], rtMin: 0, rtMax: 30, mzMin: 100, mzMax: 200, width: 6, height: 4, aggregate: 'max' };
const result: QueryResult = { query, grid, levels: [{ file: 'a', rt: 0, mz: 0 }], stats: { subtasks: 1, ranges: 1, bytesRead: 0, retries: 0 } };

function pixel(png: PNG, x: number, y: number): number[] {
  const at = (y * png.width + x) * 4;
  return [png.data[at]!, png.data[at + 1]!, png.data[at + 2]!];
}

describe('render', () => {
  it('draws RT left to right and m/z bottom to top, scaling slots up to the pixels asked for', () => {
    const bytes = renderPng(grid, 6, 4, 'linear');
    assert.equal(bytes[25], 3, 'IHDR colour type 3: a palette image, one byte a pixel');
    const png = PNG.sync.read(bytes);
    assert.deepEqual([png.width, png.height], [6, 4]);
    const top = [...COLOUR_TABLE.subarray(255 * 3, 256 * 3)];
    assert.deepEqual(pixel(png, 5, 0), top, 'largest value, top right');
    assert.deepEqual(pixel(png, 4, 1), top, 'each slot covers 2 × 2 pixels');
    assert.deepEqual(pixel(png, 0, 3), [0, 0, 0], 'zero is black, bottom left');
    assert.notDeepEqual(pixel(png, 2, 3), [0, 0, 0]);
  });

  it('log scale lifts small values', () => {
    const linear = PNG.sync.read(renderPng(grid, 3, 2, 'linear'));
    const log = PNG.sync.read(renderPng(grid, 3, 2, 'log'));
    const entry = (rgb: number[]): number => { for (let k = 0; k < 256; k++) if (COLOUR_TABLE[k * 3] === rgb[0] && COLOUR_TABLE[k * 3 + 1] === rgb[1] && COLOUR_TABLE[k * 3 + 2] === rgb[2]) return k; return -1; };
    assert.equal(entry(pixel(linear, 1, 1)), 1 + Math.round((1 / 100) * 254));
    assert.equal(entry(pixel(log, 1, 1)), 1 + Math.round((Math.log1p(1) / Math.log1p(100)) * 254));
  });

  it("log scale gives exactly the formula's entry for every value, however the values spread", () => {
    let seed = 11;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Float32Array.from({ length: 20_000 }, (_, k) => (k % 3 === 0 ? 0 : Math.expm1(random() * 16)));
    values.set([1e-30, 1e-44, -5, Number.NaN, 0.5, 0.5000001], 0);
    const top = values.reduce((a, b) => (b > a ? b : a), 0);
    const indices = colourIndices(values, 'log');
    values.forEach((v, k) => assert.equal(indices[k], v > 0 ? 1 + Math.round((Math.log1p(v) / Math.log1p(top)) * 254) : 0, `value ${v}`));
  });

  it("every pixel shows its slot, whatever the grid's size against the image's", () => {
    let seed = 5;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const [nRt, nMz, width, height] of [[3, 2, 7, 5], [29, 300, 512, 512], [600, 40, 256, 100], [1, 1, 9, 9], [64, 64, 64, 64]] as const) {
      const values = Float32Array.from({ length: nRt * nMz }, () => (random() < 0.3 ? 0 : random() * 1000));
      const g: QueryGrid = { rt: { min: 0, max: 1, n: nRt }, mz: { min: 0, max: 1, n: nMz }, values };
      const indices = colourIndices(values, 'log');
      const png = PNG.sync.read(renderPng(g, width, height, 'log'));
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const slot = (nMz - 1 - Math.floor((y * nMz) / height)) * nRt + Math.floor((x * nRt) / width);
          const entry = indices[slot]!;
          assert.deepEqual(pixel(png, x, y), [...COLOUR_TABLE.subarray(entry * 3, entry * 3 + 3)], `${nRt}×${nMz} grid as ${width}×${height}: pixel ${x},${y}`);
        }
      }
    }
  });

  it('JSON gives axes and values for heatmaps, X/Y points for chromatograms', () => {
    const heat = JSON.parse(renderJson(result).toString()) as { rt: unknown; values: number[] };
    assert.deepEqual(heat.rt, { min: 0, max: 30, n: 3 });
    assert.deepEqual(heat.values, [0, 1, 2, 3, 4, 100]);
    const chromGrid: QueryGrid = { rt: { min: 0, max: 30, n: 3 }, mz: { min: 100, max: 200, n: 1 }, values: Float32Array.of(5, 6, 7) };
    const chrom = JSON.parse(renderJson({ ...result, query: { ...query, kind: 'chromatogram' }, grid: chromGrid }).toString()) as { x: number[]; y: number[]; mzMin: number };
    assert.deepEqual(chrom.x, [5, 15, 25]);
    assert.deepEqual(chrom.y, [5, 6, 7]);
    assert.equal(chrom.mzMin, 100);
  });

  it('binary: a 64-byte header then float32 slots', () => {
    const bytes = renderBinary(result);
    assert.equal(bytes.subarray(0, 8).toString('latin1'), 'MRQGRID1');
    assert.deepEqual([bytes.readUInt16LE(8), bytes.readUInt16LE(10), bytes.readUInt32LE(12), bytes.readUInt32LE(16)], [1, 0, 3, 2]);
    assert.deepEqual([bytes.readDoubleLE(24), bytes.readDoubleLE(32), bytes.readDoubleLE(40), bytes.readDoubleLE(48)], [0, 30, 100, 200]);
    assert.equal(bytes.length, 64 + 6 * 4);
    assert.equal(bytes.readFloatLE(64 + 5 * 4), 100);
  });

  it('a render task (for a worker thread) draws the same PNG, and refuses a malformed one', () => {
    const { png } = runRenderTask(decodeMessageBody(encodeMessageBody(renderTaskOf(grid, 6, 4, 'log'))));
    assert.deepEqual(Buffer.from(png), renderPng(grid, 6, 4, 'log'));
    assert.throws(() => runRenderTask({ ...renderTaskOf(grid, 6, 4, 'log'), rtSlots: 4 }), { code: 'QUERY_INVALID', message: /render task: malformed/ });
    assert.throws(() => runRenderTask({ ...renderTaskOf(grid, 6, 4, 'log'), scale: 'cubic' }), { code: 'QUERY_INVALID' });
  });
});
