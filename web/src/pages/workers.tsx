/** Workers: who is connected (from their heartbeats), with tags, kinds of work, load and last heartbeat. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { LineChart, type Series } from '../chart.js';
import { formatDuration, formatTime } from '../format.js';
import { useNow } from '../hooks.js';
import type { WorkerView } from '../operations-types.js';
import { usePoll } from '../poll.js';

const STATE_TEXT: Record<WorkerView['state'], string> = { up: 'up', gone: 'gone (no heartbeat)', stopped: 'stopped' };
const STATE_CLASS: Record<WorkerView['state'], string> = { up: 'status-completed', gone: 'status-failed', stopped: 'status-cancelled' };

const TONES = ['tone-running', 'tone-done', 'tone-retried', 'tone-failed', 'tone-accent', 'tone-muted'];
/** Looks kept for the chart: six minutes at one every 2 s. */
const KEEP = 180;

interface Look { at: number; inFlight: Record<string, number> }

export function WorkersPage(): JSX.Element {
  const [looks, setLooks] = useState<Look[]>([]);
  const { data, error, missing } = usePoll<{ workers: WorkerView[] }>('/api/workers', 2000, (body, at) => {
    const inFlight = Object.fromEntries(body.workers.filter((w) => w.state === 'up').map((w) => [w.id, w.inFlight]));
    setLooks((list) => [...list, { at, inFlight }].slice(-KEEP));
  });
  const now = useNow(1000);
  const workers = data?.workers;
  // One line per worker up now (the first six), over the looks since the page opened.
  const series: Series[] = (workers ?? []).filter((w) => w.state === 'up').slice(0, TONES.length).map((w, i) => ({
    label: `${w.host} pid ${w.pid}`, tone: TONES[i]!, points: looks.filter((l) => w.id in l.inFlight).map((l) => [l.at, l.inFlight[w.id]!] as const),
  }));
  return (
    <section aria-labelledby="workers-title">
      <h1 id="workers-title">Workers</h1>
      <p class="muted">Every worker reports itself every few seconds; one silent for three of its intervals is shown as gone. Workers unheard of for ten minutes leave the list.</p>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {missing && <p class="muted">This server does not list workers (it was started without the engine's Log).</p>}
      {workers === undefined && error === undefined && !missing && <p class="muted">Loading…</p>}
      {workers !== undefined && workers.length === 0 && <p class="muted">No worker has reported in the last ten minutes.</p>}
      {workers !== undefined && workers.length > 0 && (
        <table class="list" data-testid="worker-table">
          <thead>
            <tr>
              <th scope="col">Worker</th><th scope="col">State</th><th scope="col">Tags</th><th scope="col">Work</th><th scope="col">Load</th>
              <th scope="col">Done</th><th scope="col">Failed</th><th scope="col">Up for</th><th scope="col">Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id} data-worker={w.id}>
                <th scope="row">{w.host} <span class="muted">pid {w.pid}</span></th>
                <td><span class={`badge ${STATE_CLASS[w.state]}`}>{STATE_TEXT[w.state]}</span></td>
                <td data-testid="worker-tags">{w.tags.length === 0 ? <span class="muted">untagged</span> : w.tags.map((tag) => <code key={tag} class="tag">{tag}</code>)}</td>
                <td>{w.kinds.join(', ')}<br /><span class="muted">on {w.queues.join(', ')}</span></td>
                <td title={`${w.inFlight} tasks in flight; up to ${w.concurrency} per queue on ${w.threads} thread(s)${(w.waiting ?? 0) > 0 ? `; ${w.waiting} more handed over in-process, waiting (in no queue)` : ''}`}>
                  {w.inFlight} / {w.concurrency} <span class="muted">({w.threads} thr)</span>
                  {(w.waiting ?? 0) > 0 ? <><br /><span class="muted" data-testid="worker-waiting">+{w.waiting} waiting in-process</span></> : null}
                </td>
                <td>{w.done}</td>
                <td>{w.failed}</td>
                <td>{formatDuration(w.beatAt - w.startedAt)}</td>
                <td>{formatTime(w.beatAt)} <span class="muted">({formatDuration(Math.max(0, now - w.beatAt))} ago)</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {series.length > 0 && <div class="chart-single"><LineChart title="Tasks in flight per worker" series={series} /></div>}
    </section>
  );
}
