/** The viewer's URL state and zoom/pan arithmetic, and its colour legend against the server's colour map. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { COLOUR_TABLE } from '../../../src/queries/render/colour-map.js';
import { VIRIDIS_ANCHORS, valueAt } from '../../../web/src/viewer/colour-scale.js';
import { clampRange, panRange, readViewerState, subRange, viewerHref, zoomRange, type ViewerState } from '../../../web/src/viewer/view-state.js';

describe('viewer state', () => {
  it('round-trips a view through the URL, leaving defaults out', () => {
    const state: ViewerState = { dataset: 'runs', files: ['a', 'b'], group: undefined, aggregate: 'mean', scale: 'linear', rt: [12.5, 300.25], mz: [400, 410.125] };
    const href = viewerHref(state);
    assert.equal(href, '/viewer?dataset=runs&files=a,b&aggregate=mean&scale=linear&rt=12.5,300.25&mz=400,410.125');
    assert.deepEqual(readViewerState(new URLSearchParams(href.split('?')[1])), state);
    assert.equal(viewerHref({ ...state, files: [], aggregate: 'max', scale: 'log', rt: undefined, mz: undefined }), '/viewer?dataset=runs');
  });

  it('ignores malformed values instead of asking for a broken view', () => {
    const state = readViewerState(new URLSearchParams('dataset=d&aggregate=median&scale=cubic&rt=5,1&mz=a,b'));
    assert.equal(state.aggregate, 'max');
    assert.equal(state.scale, 'log');
    assert.equal(state.rt, undefined);
    assert.equal(state.mz, undefined);
  });

  it('a group wins over files in the URL', () => {
    assert.equal(viewerHref({ dataset: 'd', files: ['a'], group: 'all', aggregate: 'max', scale: 'log', rt: undefined, mz: undefined }), '/viewer?dataset=d&group=all');
  });

  it('zooms about the pointer: the value under it stays put', () => {
    const zoomed = zoomRange([0, 100], 4, 0.25, [0, 1000], 0.001);
    assert.deepEqual(zoomed, [18.75, 43.75]);
    assert.equal(zoomed[0] + 0.25 * (zoomed[1] - zoomed[0]), 25);
  });

  it('zooming out stops at the data, and zooming in at the smallest span', () => {
    assert.deepEqual(zoomRange([100, 900], 0.25, 0.5, [0, 1000], 1), [0, 1000]);
    assert.deepEqual(zoomRange([10, 20], 1e9, 0, [0, 1000], 2), [10, 12]);
  });

  it('pans by a fraction of the view and slides back inside the data', () => {
    assert.deepEqual(panRange([100, 200], 0.5, [0, 1000]), [150, 250]);
    assert.deepEqual(panRange([900, 1000], 0.5, [0, 1000]), [900, 1000]);
    assert.deepEqual(clampRange([-50, 50], [0, 1000]), [0, 100]);
  });

  it('a box selects the part of the view between its corners, in either order', () => {
    assert.deepEqual(subRange([0, 200], 0.75, 0.25), [50, 150]);
    assert.deepEqual(subRange([0, 200], -0.5, 0.5), [0, 100]);
  });
});

describe('viewer colour legend', () => {
  it('starts and ends on the colours the server paints with', () => {
    const entry = (k: number): number[] => Array.from(COLOUR_TABLE.subarray(k * 3, k * 3 + 3));
    assert.deepEqual(entry(1), [...VIRIDIS_ANCHORS[0]!]);
    assert.deepEqual(entry(255), [...VIRIDIS_ANCHORS.at(-1)!]);
    assert.deepEqual(entry(0), [0, 0, 0]);
    VIRIDIS_ANCHORS.forEach((anchor, m) => {
      const nearest = entry(1 + Math.round((254 * m) / (VIRIDIS_ANCHORS.length - 1)));
      assert.ok(anchor.every((c, ch) => Math.abs(c - nearest[ch]!) <= 4), `anchor ${m} ${anchor} is the server's ${nearest}`);
    });
  });

  it('labels the log scale with the values the server maps there (log1p against the maximum)', () => {
    assert.ok(Math.abs(valueAt(1, 1e6, 'log') - 1e6) < 1e-6);
    assert.ok(Math.abs(valueAt(0.5, 1e6, 'log') - (Math.sqrt(1e6 + 1) - 1)) < 1e-6);
    assert.equal(valueAt(0.5, 1e6, 'linear'), 5e5);
  });
});
