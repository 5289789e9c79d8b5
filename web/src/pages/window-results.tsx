/**
 * A live chart of a pipeline's newest window results (from its topic
 * sink): one line per key, value against window end, for the keys with the
 * most recent windows. Results that are not numbers are listed instead.
 */
import type { JSX } from 'preact';
import { LineChart, type Series } from '../chart.js';
import { formatTime } from '../format.js';
import type { WindowResult } from '../operations-types.js';
import { usePoll } from '../poll.js';

const TONES = ['tone-running', 'tone-done', 'tone-retried', 'tone-failed', 'tone-accent', 'tone-muted'];

export function WindowResultsChart({ name }: { name: string }): JSX.Element {
  const { data, error } = usePoll<{ topic: string | null; results: WindowResult[] }>(`/api/streams/${encodeURIComponent(name)}/results?limit=200`, 2000);
  if (error !== undefined) return <p role="alert" class="error">{error}</p>;
  if (data === undefined) return <p class="muted">Loading window results…</p>;
  if (data.topic === null) return <p class="muted">This pipeline has no topic or table sink to read its results from.</p>;
  const numeric = data.results.filter((r) => typeof r.value === 'number');
  if (numeric.length === 0) {
    return (
      <section aria-label="Window results" data-testid="window-results">
        <h3>Newest window results <span class="muted">({data.topic})</span></h3>
        {data.results.length === 0 ? <p class="muted">No results yet.</p> : (
          <table class="list">
            <thead><tr><th scope="col">Key</th><th scope="col">Window</th><th scope="col">Value</th></tr></thead>
            <tbody>{data.results.slice(-20).reverse().map((r) => <tr key={r.id}><th scope="row">{JSON.stringify(r.key)}</th><td>{formatTime(r.start)} – {formatTime(r.end)}</td><td><code>{JSON.stringify(r.value)}</code></td></tr>)}</tbody>
          </table>
        )}
      </section>
    );
  }
  const byKey = new Map<string, Array<readonly [number, number]>>();
  for (const result of numeric) {
    const key = typeof result.key === 'string' ? result.key : JSON.stringify(result.key);
    byKey.set(key, [...(byKey.get(key) ?? []), [result.end, result.value as number] as const]);
  }
  const keys = [...byKey.entries()].sort((a, b) => (b[1].at(-1)?.[0] ?? 0) - (a[1].at(-1)?.[0] ?? 0)).slice(0, TONES.length);
  const series: Series[] = keys.map(([key, points], i) => ({ label: key, tone: TONES[i]!, points }));
  return (
    <section aria-label="Window results" data-testid="window-results" class="chart-single">
      <LineChart title={`Newest window results (${data.topic}), by window end`} series={series} />
    </section>
  );
}
