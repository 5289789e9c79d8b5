/**
 * A chromatogram or a spectrum under the cursor: one polyline in SVG with
 * its x range and y maximum labelled, and a marker at the cursor's x.
 */
import type { JSX } from 'preact';

export interface ProfilePlotProps {
  title: string;
  xLabel: string;
  points: { x: number[]; y: number[] } | undefined;
  /** Where the cursor is along x. */
  marker: number | undefined;
  testId: string;
}

const WIDTH = 360;
const HEIGHT = 140;
const PAD = { left: 8, right: 8, top: 8, bottom: 22 };

export function ProfilePlot({ title, xLabel, points, marker, testId }: ProfilePlotProps): JSX.Element {
  const xs = points?.x ?? [];
  const ys = points?.y ?? [];
  const x0 = xs[0] ?? 0;
  const x1 = xs.at(-1) ?? 1;
  const top = Math.max(0, ...ys);
  const px = (x: number): number => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (WIDTH - PAD.left - PAD.right);
  const py = (y: number): number => PAD.top + (1 - (top > 0 ? y / top : 0)) * (HEIGHT - PAD.top - PAD.bottom);
  const line = xs.map((x, k) => `${px(x).toFixed(1)},${py(ys[k] ?? 0).toFixed(1)}`).join(' ');
  return (
    <figure class="profile" data-testid={testId}>
      <figcaption>{title}{top > 0 && <span class="muted"> · max {formatValue(top)}</span>}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={points === undefined ? `${title}: point at the heatmap` : `${title}: ${xs.length} points, maximum ${formatValue(top)}`}>
        <line class="axis" x1={PAD.left} x2={WIDTH - PAD.right} y1={HEIGHT - PAD.bottom} y2={HEIGHT - PAD.bottom} />
        {xs.length > 1 && <polyline class="trace" points={line} />}
        {marker !== undefined && xs.length > 1 && <line class="marker" x1={px(marker)} x2={px(marker)} y1={PAD.top} y2={HEIGHT - PAD.bottom} />}
        {xs.length > 1 && (
          <>
            <text x={PAD.left} y={HEIGHT - 6}>{formatValue(x0)}</text>
            <text x={WIDTH / 2} y={HEIGHT - 6} text-anchor="middle">{xLabel}</text>
            <text x={WIDTH - PAD.right} y={HEIGHT - 6} text-anchor="end">{formatValue(x1)}</text>
          </>
        )}
      </svg>
    </figure>
  );
}

/** Four significant digits, with exponents for the very large and small. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const magnitude = Math.abs(v);
  return magnitude >= 1e6 || magnitude < 1e-2 ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}
