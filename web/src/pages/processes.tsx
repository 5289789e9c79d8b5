/** The processes list: newest first, filtered by status and definition, kept current by the live stream. */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import { elapsed, formatDuration, formatTime } from '../format.js';
import { useNow } from '../hooks.js';
import { useProcessUpdates } from '../live.js';
import { Link, navigate, useLocation } from '../router.js';
import type { ProcessStatus, ProcessSummary, Session } from '../types.js';

const STATUSES: ProcessStatus[] = ['running', 'completed', 'failed', 'cancelled'];
const LIMIT = 200;

export function ProcessesPage({ session }: { session: Session }): JSX.Element {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const definition = query.get('definition') ?? '';
  const [processes, setProcesses] = useState<ProcessSummary[] | undefined>();
  // Live summaries seen while the list loads: the read may predate them.
  const early = useRef(new Map<string, ProcessSummary>());
  const [error, setError] = useState<string | undefined>();
  const now = useNow();
  const matches = (p: ProcessSummary): boolean => (status === '' || p.status === status) && (definition === '' || p.definition === definition);

  useEffect(() => {
    const params = new URLSearchParams({ limit: String(LIMIT) });
    if (status !== '') params.set('status', status);
    if (definition !== '') params.set('definition', definition);
    let current = true;
    setProcesses(undefined);
    early.current.clear();
    api<{ processes: ProcessSummary[] }>(`/api/processes?${params}`)
      .then((body) => {
        if (!current) return;
        setProcesses(merge([], merge(body.processes, [...early.current.values()], LIMIT * 2).filter(matches)));
        setError(undefined);
      })
      .catch((e: unknown) => current && setError(describeError(e)));
    return () => {
      current = false;
    };
  }, [status, definition]);

  useProcessUpdates(({ view }) => {
    const summary: ProcessSummary = {
      processId: view.processId, definition: view.definition, version: view.version, status: view.status, startedAt: view.startedAt,
      ...(view.finishedAt !== undefined ? { finishedAt: view.finishedAt } : {}),
      ...(view.failure !== undefined ? { reason: view.failure.reason } : view.cancelReason !== undefined ? { reason: view.cancelReason } : {}),
    };
    early.current.set(summary.processId, summary);
    setProcesses((list) => {
      if (list === undefined) return list;
      return matches(summary) ? merge(list, [summary]) : list.filter((p) => p.processId !== summary.processId);
    });
  }, [status, definition]);

  const setFilter = (name: string, value: string): void => {
    const next = new URLSearchParams(query);
    if (value === '') next.delete(name);
    else next.set(name, value);
    const search = next.toString();
    navigate(`/processes${search === '' ? '' : `?${search}`}`);
  };

  return (
    <section aria-labelledby="processes-title">
      <h1 id="processes-title">Processes</h1>
      {session.scope !== 'read' && <StartForm />}
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Definition
          <input type="search" value={definition} placeholder="any" onChange={(e) => setFilter('definition', e.currentTarget.value.trim())} />
        </label>
      </form>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {processes === undefined && error === undefined && <p class="muted">Loading…</p>}
      {processes !== undefined && processes.length === 0 && <p class="muted">No processes{status || definition ? ' match these filters' : ' yet'}.</p>}
      {processes !== undefined && processes.length > 0 && (
        <table class="list">
          <thead>
            <tr><th scope="col">Process</th><th scope="col">Definition</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Duration</th></tr>
          </thead>
          <tbody>
            {processes.map((p) => (
              <tr key={p.processId} data-process={p.processId}>
                <td><Link href={`/processes/${encodeURIComponent(p.processId)}`}>{p.processId}</Link></td>
                <td>{p.definition} <span class="muted">v{p.version}</span></td>
                <td><span class={`badge status-${p.status}`} title={p.reason}>{p.status}</span></td>
                <td>{formatTime(p.startedAt)}</td>
                <td>{formatDuration(elapsed(p.startedAt, p.finishedAt, now))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Adds or replaces summaries, newest first; a running one never replaces one that has ended. */
function merge(list: ProcessSummary[], updates: ProcessSummary[], limit = LIMIT): ProcessSummary[] {
  const byId = new Map(list.map((p) => [p.processId, p]));
  for (const update of updates) {
    const known = byId.get(update.processId);
    if (known === undefined || known.status === 'running' || update.status !== 'running') byId.set(update.processId, update);
  }
  return [...byId.values()].sort((a, b) => b.startedAt - a.startedAt).slice(0, limit);
}

/** Starts a process by definition name with a JSON input (needs an operate token). */
function StartForm(): JSX.Element {
  const [definition, setDefinition] = useState('');
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = input.trim() === '' ? null : JSON.parse(input);
    } catch {
      setError('The input is not valid JSON.');
      return;
    }
    setBusy(true);
    try {
      const { processId } = await api<{ processId: string }>('/api/processes', { method: 'POST', body: { definition: definition.trim(), input: parsed } });
      navigate(`/processes/${encodeURIComponent(processId)}`);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="start">
      <summary>Start a process</summary>
      <form onSubmit={(e) => void submit(e)}>
        <label>Definition<input name="definition" required value={definition} onInput={(e) => setDefinition(e.currentTarget.value)} /></label>
        <label>Input (JSON)<textarea name="input" rows={3} value={input} placeholder='{"n": 10}' onInput={(e) => setInput(e.currentTarget.value)} /></label>
        <button type="submit" disabled={busy}>Start</button>
        {error !== undefined && <p role="alert" class="error">{error}</p>}
      </form>
    </details>
  );
}
