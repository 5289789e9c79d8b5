/** One process: its DAG with live step states, the steps in a table, the errors its tasks met, cancel, and retry of the task that failed it. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError } from '../api.js';
import { Dag } from '../dag.js';
import { elapsed, formatDuration, formatTime } from '../format.js';
import { useNow } from '../hooks.js';
import { useProcessUpdates } from '../live.js';
import { Link } from '../router.js';
import { STATE_LABELS, stepEnd, stepState } from '../step-state.js';
import type { ProcessView, Session, StoredEvent, TaskFailureNote } from '../types.js';

const MAX_FAILURES_SHOWN = 100;

export function ProcessPage({ processId, session }: { processId: string; session: Session }): JSX.Element {
  const [view, setView] = useState<ProcessView | undefined>();
  const [failures, setFailures] = useState<TaskFailureNote[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [historyRead, setHistoryRead] = useState(false);
  const now = useNow();

  useEffect(() => {
    let current = true;
    setView(undefined);
    setFailures([]);
    setHistoryRead(false);
    api<ProcessView>(`/api/processes/${encodeURIComponent(processId)}`)
      // A live update may have arrived first, and be newer than this read.
      .then((v) => current && (setView((known) => (known !== undefined && progressOf(known) > progressOf(v) ? known : v)), setError(undefined)))
      .catch((e: unknown) => current && setError(e instanceof ApiError && e.status === 404 ? `No process ${processId}.` : describeError(e)));
    return () => {
      current = false;
    };
  }, [processId]);

  useProcessUpdates((update) => {
    if (update.view.processId !== processId) return;
    setView(update.view);
    if (update.failures.length > 0) setFailures((known) => merge(known, update.failures));
  }, [processId]);

  // Failures before the page opened are in the history: read it once, only if there were any.
  const troubled = view !== undefined && (view.failure !== undefined || view.steps.some((s) => s.failed > 0 || s.retries > 0));
  useEffect(() => {
    if (!troubled || historyRead) return;
    setHistoryRead(true);
    api<{ events: StoredEvent[] }>(`/api/processes/${encodeURIComponent(processId)}/history`)
      .then(({ events }) => setFailures((known) => merge(known, events.flatMap(failureOf))))
      .catch((e: unknown) => setError(describeError(e)));
  }, [troubled, historyRead, processId]);

  if (view === undefined) {
    return (
      <section>
        <p><Link href="/processes">← Processes</Link></p>
        {error !== undefined ? <p role="alert" class="error">{error}</p> : <p class="muted">Loading…</p>}
      </section>
    );
  }
  return (
    <section aria-labelledby="process-title">
      <p><Link href="/processes">← Processes</Link></p>
      <div class="title-row">
        <h1 id="process-title">{view.processId}</h1>
        <span class={`badge status-${view.status}`} data-testid="process-status">{view.status}</span>
        {view.status === 'running' && <CancelButton processId={processId} session={session} onError={setError} />}
        {view.status === 'failed' && view.failure?.taskId !== undefined && <RetryButton processId={processId} taskId={view.failure.taskId} session={session} onError={setError} />}
      </div>
      <dl class="facts">
        <div><dt>Definition</dt><dd>{view.definition} v{view.version}</dd></div>
        <div><dt>Started</dt><dd>{formatTime(view.startedAt)}</dd></div>
        <div><dt>Duration</dt><dd>{formatDuration(elapsed(view.startedAt, view.finishedAt, now))}</dd></div>
        {view.cancelReason !== undefined && <div><dt>Cancelled</dt><dd>{view.cancelReason}</dd></div>}
      </dl>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {view.failure !== undefined && (
        <p class="error" role="status">
          Failed{view.failure.step !== undefined ? ` in step ${view.failure.step}` : ''}: {view.failure.reason}
          {view.failure.failure !== undefined && <> — <strong>{view.failure.failure.type}</strong>: {view.failure.failure.message}</>}
        </p>
      )}
      <h2>Steps</h2>
      <Legend />
      <Dag view={view} now={now} />
      <table class="list">
        <thead>
          <tr><th scope="col">Step</th><th scope="col">Task</th><th scope="col">State</th><th scope="col">Tasks done</th><th scope="col">Failed</th><th scope="col">Retries</th><th scope="col">Duration</th></tr>
        </thead>
        <tbody>
          {view.steps.map((step) => (
            <tr key={step.name}>
              <th scope="row">{step.name}</th>
              <td>{step.task}</td>
              <td>{STATE_LABELS[stepState(step, view)]}</td>
              <td>{step.completed} / {step.tasks}</td>
              <td>{step.failed}</td>
              <td>{step.retries}</td>
              <td>{formatDuration(elapsed(step.startedAt, stepEnd(step, view), now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Errors</h2>
      {failures.length === 0 ? <p class="muted">No task has failed.</p> : (
        <table class="list errors">
          <thead><tr><th scope="col">When</th><th scope="col">Task</th><th scope="col">Attempt</th><th scope="col">Error</th></tr></thead>
          <tbody>
            {failures.slice(-MAX_FAILURES_SHOWN).map((f) => (
              <tr key={`${f.taskId}#${f.attempt}`}>
                <td>{formatTime(f.at)}</td>
                <td><code>{f.taskId}</code></td>
                <td>{f.attempt}</td>
                <td><strong>{f.failure.type}</strong>: {f.failure.message}{f.failure.retryable ? '' : ' (not retryable)'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {view.status === 'completed' && view.output !== undefined && (
        <>
          <h2>Output</h2>
          <pre class="output">{preview(view.output)}</pre>
        </>
      )}
    </section>
  );
}

function CancelButton({ processId, session, onError }: { processId: string; session: Session; onError: (message: string) => void }): JSX.Element {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (session.scope === 'read') {
    return <button type="button" disabled title="Cancelling needs a token with the operate scope">Cancel</button>;
  }
  const cancel = async (): Promise<void> => {
    setBusy(true);
    try {
      await api(`/api/processes/${encodeURIComponent(processId)}/cancel`, { method: 'POST', body: { reason: 'cancelled from the dashboard' } });
    } catch (e) {
      onError(describeError(e));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  if (!confirming) return <button type="button" class="danger" onClick={() => setConfirming(true)}>Cancel</button>;
  return (
    <span class="confirm" role="group" aria-label="Confirm cancel">
      Cancel this process? Running tasks are aborted.
      <button type="button" class="danger" disabled={busy} onClick={() => void cancel()}>Yes, cancel it</button>
      <button type="button" disabled={busy} onClick={() => setConfirming(false)}>Keep running</button>
    </span>
  );
}

/** Retries the task that failed the process (POST …/tasks/:taskId/retry): the process runs again, and the live view follows it. */
function RetryButton({ processId, taskId, session, onError }: { processId: string; taskId: string; session: Session; onError: (message: string) => void }): JSX.Element {
  const [busy, setBusy] = useState(false);
  if (session.scope === 'read') {
    return <button type="button" disabled title="Retrying needs a token with the operate scope">Retry failed task</button>;
  }
  const retry = async (): Promise<void> => {
    setBusy(true);
    try {
      await api(`/api/processes/${encodeURIComponent(processId)}/tasks/${encodeURIComponent(taskId)}/retry`, { method: 'POST' });
    } catch (e) {
      onError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return <button type="button" disabled={busy} title={`Give ${taskId} another attempt; the process runs again`} onClick={() => void retry()}>Retry failed task</button>;
}

function Legend(): JSX.Element {
  return (
    <ul class="legend" aria-label="Step states">
      {(['pending', 'running', 'retried', 'done', 'failed', 'skipped', 'stopped'] as const).map((state) => (
        <li key={state}><span class={`swatch state-${state}`} aria-hidden="true" />{STATE_LABELS[state]}</li>
      ))}
    </ul>
  );
}

function failureOf(event: StoredEvent): TaskFailureNote[] {
  const d = event.data as { taskId?: string; attempt?: number; failure?: TaskFailureNote['failure']; failedAt?: number; timedOutAt?: number; by?: string };
  if (typeof d.taskId !== 'string' || typeof d.attempt !== 'number') return [];
  const step = d.taskId.split('/')[1] ?? '';
  if (event.type === 'TaskFailed' && d.failure !== undefined) return [{ taskId: d.taskId, step, attempt: d.attempt, failure: d.failure, at: d.failedAt ?? event.recordedAt }];
  if (event.type === 'TaskTimedOut') return [{ taskId: d.taskId, step, attempt: d.attempt, failure: { type: 'TASK_TIMEOUT', message: `attempt ${d.attempt} timed out (${d.by ?? 'deadline'})`, retryable: true }, at: d.timedOutAt ?? event.recordedAt }];
  return [];
}

function merge(known: TaskFailureNote[], more: TaskFailureNote[]): TaskFailureNote[] {
  const byKey = new Map(known.map((f) => [`${f.taskId}#${f.attempt}`, f]));
  for (const f of more) byKey.set(`${f.taskId}#${f.attempt}`, f);
  return [...byKey.values()].sort((a, b) => a.at - b.at);
}

/** Grows with every event a process records (a retry moves one count to another; ties go to the newer arrival). */
function progressOf(view: ProcessView): number {
  const steps = view.steps.reduce((sum, s) => sum + s.completed + s.failed + s.retries + (s.status === 'pending' ? 0 : 1) + (s.finishedAt === undefined ? 0 : 1), 0);
  return (view.status === 'running' ? 0 : 1e9) + steps;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  return text.length > 4000 ? `${text.slice(0, 4000)}\n… (${text.length} characters; GET /api/processes/:id has it all)` : text;
}
