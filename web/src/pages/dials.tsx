/**
 * Dials: the engine's live settings with a form to change them, and one
 * audit log of every change — the engine's and each micro-batch stream's —
 * saying who changed what, when, from what to what.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import type { DialChange, StreamBrief, StreamDials } from '../operations-types.js';
import { usePoll } from '../poll.js';
import type { Session } from '../types.js';
import { DialAuditTable, type ScopedChange } from './dial-audit.js';
import { DialForm } from './dial-form.js';

const ENGINE_DIALS = ['workers.concurrency', 'scaler.min', 'scaler.max', 'routes'] as const;

export function DialsPage({ session }: { session: Session }): JSX.Element {
  const engine = usePoll<{ dials: Record<string, unknown>; changes: DialChange[] }>('/api/dials', 5000);
  const streams = useStreamChanges(engine.data);
  const changes: ScopedChange[] = [...(engine.data?.changes ?? []).map((c) => ({ ...c, scope: 'engine' })), ...streams.changes];
  return (
    <section aria-labelledby="dials-title">
      <h1 id="dials-title">Dials</h1>
      <p class="muted">Live settings, changed without a restart. Every change is recorded on the Log with the name of the token that made it.</p>
      {engine.error !== undefined && <p role="alert" class="error">{engine.error}</p>}
      {engine.missing && <p class="muted">This server does not serve the engine's dials (it was started without the engine's Log).</p>}
      <h2>Engine</h2>
      {engine.data !== undefined && (
        <table class="list" data-testid="engine-dials">
          <thead><tr><th scope="col">Dial</th><th scope="col">Value</th></tr></thead>
          <tbody>
            {ENGINE_DIALS.map((dial) => (
              <tr key={dial}><th scope="row"><code>{dial}</code></th><td>{engine.data!.dials[dial] === undefined ? <span class="muted">not set (the process's own setting)</span> : <code>{JSON.stringify(engine.data!.dials[dial])}</code>}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <DialForm session={session} path="/api/dials" dials={ENGINE_DIALS} jsonDials={['routes']} onChanged={engine.reload} />
      <p class="muted">A micro-batch stream's dials are changed on its page under Streams.</p>
      <h2>Audit log</h2>
      {streams.error !== undefined && <p role="alert" class="error">{streams.error}</p>}
      <DialAuditTable changes={changes} />
    </section>
  );
}

/** Every micro-batch stream's dial changes, read again whenever the engine's are (`tick`). */
function useStreamChanges(tick: unknown): { changes: ScopedChange[]; error: string | undefined } {
  const [changes, setChanges] = useState<ScopedChange[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let stopped = false;
    (async () => {
      const { streams } = await api<{ streams: StreamBrief[] }>('/api/streams').catch(() => ({ streams: [] as StreamBrief[] }));
      const all: ScopedChange[] = [];
      for (const stream of streams.filter((s) => s.kind === 'micro-batch')) {
        const dials = await api<StreamDials>(`/api/streams/${encodeURIComponent(stream.name)}/dials`);
        all.push(...dials.changes.map((c) => ({ ...c, scope: `stream ${stream.name}` })));
      }
      if (!stopped) {
        setChanges(all);
        setError(undefined);
      }
    })().catch((e: unknown) => !stopped && setError(describeError(e)));
    return () => {
      stopped = true;
    };
  }, [tick]);
  return { changes, error };
}
