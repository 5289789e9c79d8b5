/** Queues: depth now and over time (from the live stream's samples), tasks ended per second, and dead letters with requeue. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { LineChart, type Series } from '../chart.js';
import { formatTime } from '../format.js';
import { useLive } from '../live.js';
import type { DeadLetter, QueueStats, Session } from '../types.js';

export function QueuesPage({ session }: { session: Session }): JSX.Element {
  const { samples } = useLive();
  const [queues, setQueues] = useState<QueueStats[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api<{ queues: QueueStats[] }>('/api/queues').then((b) => setQueues(b.queues)).catch((e: unknown) => setError(describeError(e)));
  }, []);
  // Once samples arrive they are newer than the first read.
  const current = samples.at(-1)?.queues ?? queues;

  const rate: Series[] = [
    { label: 'completed / s', tone: 'tone-done', points: samples.map((s) => [s.at, (s.ended.completed * 1000) / Math.max(1, s.intervalMs)] as const) },
    { label: 'failed / s', tone: 'tone-failed', points: samples.map((s) => [s.at, (s.ended.failed * 1000) / Math.max(1, s.intervalMs)] as const) },
  ];
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Queues</h1>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {current === undefined && error === undefined && <p class="muted">Loading…</p>}
      {current !== undefined && (
        <table class="list" data-testid="queue-table">
          <thead>
            <tr><th scope="col">Queue</th><th scope="col">Ready</th><th scope="col">Delayed</th><th scope="col">In flight</th><th scope="col">Dead letters</th><th scope="col">Redelivered</th></tr>
          </thead>
          <tbody>
            {current.map((q) => (
              <tr key={q.name}>
                <th scope="row">{q.name}</th><td>{q.ready}</td><td>{q.delayed}</td><td>{q.inFlight}</td><td>{q.deadLettered}</td><td>{q.redelivered}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="charts">
        {(current ?? []).map((q) => (
          <LineChart
            key={q.name}
            title={`${q.name}: depth`}
            series={[
              { label: 'ready', tone: 'tone-running', points: samples.map((s) => [s.at, s.queues.find((x) => x.name === q.name)?.ready ?? 0] as const) },
              { label: 'in flight', tone: 'tone-retried', points: samples.map((s) => [s.at, s.queues.find((x) => x.name === q.name)?.inFlight ?? 0] as const) },
            ]}
          />
        ))}
        <LineChart title="Task attempts ended" series={rate} />
      </div>
      <h2>Dead letters</h2>
      {(current ?? []).map((q) => <DeadLetters key={q.name} queue={q.name} count={q.deadLettered} session={session} />)}
    </section>
  );
}

function DeadLetters({ queue, count, session }: { queue: string; count: number; session: Session }): JSX.Element {
  const [letters, setLetters] = useState<DeadLetter[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (count === 0) {
      setLetters([]);
      return;
    }
    api<{ deadLetters: DeadLetter[] }>(`/api/queues/${encodeURIComponent(queue)}/dead-letters?limit=50`).then((b) => setLetters(b.deadLetters)).catch((e: unknown) => setError(describeError(e)));
  }, [queue, count]);
  const requeue = async (id: string): Promise<void> => {
    try {
      await api(`/api/queues/${encodeURIComponent(queue)}/dead-letters/${encodeURIComponent(id)}/requeue`, { method: 'POST' });
      setLetters((list) => list?.filter((l) => l.id !== id));
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <section aria-label={`Dead letters of ${queue}`}>
      <h3>{queue}</h3>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {letters === undefined ? <p class="muted">Loading…</p> : letters.length === 0 ? <p class="muted">None.</p> : (
        <table class="list">
          <thead><tr><th scope="col">When</th><th scope="col">Message</th><th scope="col">Attempts</th><th scope="col">Reason</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {letters.map((l) => (
              <tr key={l.id}>
                <td>{formatTime(l.deadAt)}</td>
                <td><code>{l.name}</code> <span class="muted">{l.id}</span></td>
                <td>{l.attempts}</td>
                <td>{l.reason}</td>
                <td>
                  <button type="button" disabled={session.scope === 'read'} title={session.scope === 'read' ? 'Requeueing needs a token with the operate scope' : 'Deliver it again from attempt 1'} onClick={() => void requeue(l.id)}>Requeue</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
