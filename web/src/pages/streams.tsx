/**
 * Streams: every stream in brief, and per stream its throughput, lag and
 * late (or failed) counts over time, watermarks per partition, a live chart
 * of its newest window results, and a micro-batch stream's dials.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { LineChart } from '../chart.js';
import { formatTime } from '../format.js';
import type { StreamBrief, StreamStatus } from '../operations-types.js';
import { usePoll } from '../poll.js';
import { Link } from '../router.js';
import type { Session } from '../types.js';
import { StreamDialsPanel } from './stream-dials.js';
import { WindowResultsChart } from './window-results.js';

/** Samples kept per stream: six minutes at one every 2 s. */
const KEEP = 180;

interface Sample { at: number; rate: number; lag: number; late: number }

export function StreamsPage({ session, name }: { session: Session; name: string | undefined }): JSX.Element {
  const { data, error, missing } = usePoll<{ streams: StreamBrief[] }>('/api/streams', 2000);
  const streams = data?.streams;
  return (
    <section aria-labelledby="streams-title">
      <h1 id="streams-title">Streams</h1>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {missing && <p class="muted">This server does not serve the streams API (<code>millrace server</code> does, for the pipelines of the modules it is given).</p>}
      {streams === undefined && error === undefined && !missing && <p class="muted">Loading…</p>}
      {streams !== undefined && streams.length === 0 && <p class="muted">This server reports no streams (start it with a module that exports pipelines).</p>}
      {streams !== undefined && streams.length > 0 && (
        <table class="list" data-testid="stream-table">
          <thead><tr><th scope="col">Stream</th><th scope="col">Kind</th><th scope="col">Source</th><th scope="col">Per second</th><th scope="col">Lag</th><th scope="col">Late / failed</th><th scope="col">Dead letters</th></tr></thead>
          <tbody>
            {streams.map((s) => (
              <tr key={s.name}>
                <th scope="row"><Link href={`/streams/${encodeURIComponent(s.name)}`} aria-current={s.name === name ? 'page' : undefined}>{s.name}</Link></th>
                <td>{s.kind}</td><td><code>{s.source}</code></td>
                <td>{rateText(s.recordsPerSecond ?? s.messagesPerSecond ?? null)}</td>
                <td>{s.lag}</td><td>{s.late ?? s.failed ?? 0}</td><td>{s.deadLetters}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {name !== undefined && <StreamDetail key={name} name={name} session={session} />}
    </section>
  );
}

function StreamDetail({ name, session }: { name: string; session: Session }): JSX.Element {
  const [samples, setSamples] = useState<Sample[]>([]);
  const { data: status, error, missing } = usePoll<StreamStatus>(`/api/streams/${encodeURIComponent(name)}`, 2000, (s, at) => {
    const sample: Sample = s.kind === 'pipeline'
      ? { at, rate: s.recordsPerSecond ?? 0, lag: s.lag, late: s.late }
      : { at, rate: s.messagesPerSecond ?? 0, lag: s.lag, late: s.failed };
    setSamples((list) => [...list, sample].slice(-KEEP));
  });
  const lateLabel = status?.kind === 'micro-batch' ? 'failed' : 'late';
  return (
    <section aria-labelledby="stream-title" data-testid="stream-detail">
      <h2 id="stream-title">{name}</h2>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {missing && <p role="alert" class="error">This server knows no stream named {name}.</p>}
      {status !== undefined && (
        <dl class="facts" data-testid="stream-counters">
          <div><dt>Kind</dt><dd>{status.kind}</dd></div>
          <div><dt>{status.kind === 'pipeline' ? 'Records' : 'Messages'}</dt><dd data-testid="stream-records">{status.kind === 'pipeline' ? status.records : status.messages}</dd></div>
          <div><dt>Per second</dt><dd>{rateText(status.kind === 'pipeline' ? status.recordsPerSecond : status.messagesPerSecond)}</dd></div>
          <div><dt>Lag</dt><dd data-testid="stream-lag">{status.lag}</dd></div>
          <div><dt>{lateLabel === 'late' ? 'Late events' : 'Failed buckets'}</dt><dd>{status.kind === 'pipeline' ? status.late : status.failed}</dd></div>
          <div><dt>Dead letters</dt><dd>{status.deadLetters}</dd></div>
        </dl>
      )}
      <div class="charts">
        <LineChart title="Throughput" unit="/s" series={[{ label: status?.kind === 'micro-batch' ? 'messages' : 'records', tone: 'tone-done', points: samples.map((s) => [s.at, s.rate] as const) }]} />
        <LineChart title="Lag" series={[{ label: 'not yet processed', tone: 'tone-running', points: samples.map((s) => [s.at, s.lag] as const) }]} />
        <LineChart title={lateLabel === 'late' ? 'Late events (total)' : 'Failed buckets (total)'} series={[{ label: lateLabel, tone: 'tone-failed', points: samples.map((s) => [s.at, s.late] as const) }]} />
      </div>
      {status?.kind === 'pipeline' && (
        <>
          <h3>Watermarks</h3>
          <table class="list" data-testid="watermarks">
            <thead><tr><th scope="col">Source partition</th><th scope="col">Watermark (event time)</th><th scope="col">Read / end</th><th scope="col">State</th></tr></thead>
            <tbody>
              {status.watermarks.map((w) => {
                const partition = status.source.partitions.find((p) => p.partition === w.partition);
                return (
                  <tr key={w.partition}>
                    <th scope="row">{w.partition}</th>
                    <td>{w.watermark === null ? '—' : formatTime(w.watermark)}</td>
                    <td>{partition === undefined ? '—' : `${partition.position} / ${partition.end}`}</td>
                    <td>{w.ended ? 'ended' : w.idle ? 'idle' : 'active'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <WindowResultsChart name={name} />
        </>
      )}
      {status?.kind === 'micro-batch' && <StreamDialsPanel name={name} session={session} />}
    </section>
  );
}

function rateText(rate: number | null): string {
  return rate === null ? '—' : rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}
