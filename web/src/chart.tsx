/**
 * A small line chart in hand-drawn SVG: a few series over time with a
 * labelled y maximum and time range. A charting library would be most of
 * the dashboard's weight for three polylines.
 */
import type { JSX } from 'preact';

export interface Series {
  label: string;
  /** A CSS class naming the colour (see styles.css). */
  tone: string;
  points: ReadonlyArray<readonly [time: number, value: number]>;
}

export function LineChart({ title, series, unit = '' }: { title: string; series: Series[]; unit?: string }): JSX.Element {
  const width = 640;
  const height = 160;
  const left = 52;
  const bottom = 24;
  const all = series.flatMap((s) => s.points);
  if (new Set(all.map((p) => p[0])).size < 2) return <p class="muted">{title}: waiting for samples…</p>;
  const t0 = Math.min(...all.map((p) => p[0]));
  const t1 = Math.max(...all.map((p) => p[0]), t0 + 1);
  const max = niceMax(Math.max(1, ...all.map((p) => p[1])));
  const x = (t: number): number => left + ((t - t0) / (t1 - t0)) * (width - left - 8);
  const y = (v: number): number => 8 + (1 - v / max) * (height - bottom - 8);
  const latest = series.map((s) => `${s.label} ${s.points.at(-1)?.[1] ?? 0}${unit}`).join(', ');
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}; latest: ${latest}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={left} x2={width - 8} y1={y(max * f)} y2={y(max * f)} class="chart-grid" />
            <text x={left - 6} y={y(max * f) + 4} text-anchor="end" class="chart-axis">{format(max * f)}</text>
          </g>
        ))}
        <text x={left} y={height - 4} class="chart-axis">{new Date(t0).toLocaleTimeString()}</text>
        <text x={width - 8} y={height - 4} text-anchor="end" class="chart-axis">{new Date(t1).toLocaleTimeString()}</text>
        {series.map((s) => <polyline key={s.label} class={`chart-line ${s.tone}`} points={s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} />)}
      </svg>
      <ul class="legend">
        {series.map((s) => <li key={s.label}><span class={`swatch ${s.tone}`} aria-hidden="true" />{s.label}: {format(s.points.at(-1)?.[1] ?? 0)}{unit}</li>)}
      </ul>
    </figure>
  );
}

function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function format(value: number): string {
  return value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}
