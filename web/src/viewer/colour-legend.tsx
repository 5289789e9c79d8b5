/**
 * The heatmap's colour scale: the ramp the server paints with, labelled
 * with the values at its ends and middle for the scale in use.
 */
import type { JSX } from 'preact';
import { formatValue } from './profile-plot.js';
import { VIRIDIS_ANCHORS, valueAt } from './colour-scale.js';
import type { Scale } from './view-state.js';

const GRADIENT = `linear-gradient(to top, ${VIRIDIS_ANCHORS.map(([r, g, b], k) => `rgb(${r} ${g} ${b}) ${((k / (VIRIDIS_ANCHORS.length - 1)) * 100).toFixed(1)}%`).join(', ')})`;

export function ColourLegend({ max, scale }: { max: number | undefined; scale: Scale }): JSX.Element {
  const ticks = [1, 0.5, 0];
  return (
    <figure class="legend" data-testid="colour-legend" aria-label={`Colour scale, ${scale}, 0 to ${max === undefined ? '…' : formatValue(max)}`}>
      <figcaption>{scale === 'log' ? 'log scale' : 'linear scale'}</figcaption>
      <div class="legend-body">
        <div class="legend-ramp" style={{ backgroundImage: GRADIENT }} />
        <ol class="legend-ticks">
          {ticks.map((t) => <li key={t}>{max === undefined ? '…' : formatValue(valueAt(t, max, scale))}</li>)}
        </ol>
      </div>
      <p class="legend-zero"><span class="legend-swatch" /> 0 (no signal)</p>
    </figure>
  );
}
