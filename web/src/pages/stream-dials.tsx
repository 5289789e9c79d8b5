/** A micro-batch stream's dials: current values, a form to change them, and their audit log. */
import type { JSX } from 'preact';
import type { StreamDials } from '../operations-types.js';
import { usePoll } from '../poll.js';
import type { Session } from '../types.js';
import { DialAuditTable } from './dial-audit.js';
import { DialForm } from './dial-form.js';

const STREAM_DIALS = ['maxMessages', 'maxWaitMs', 'concurrency'] as const;

export function StreamDialsPanel({ name, session }: { name: string; session: Session }): JSX.Element {
  const path = `/api/streams/${encodeURIComponent(name)}/dials`;
  const { data, error, reload } = usePoll<StreamDials>(path, 5000);
  return (
    <section aria-labelledby="stream-dials-title">
      <h3 id="stream-dials-title">Dials</h3>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
      {data !== undefined && (
        <dl class="facts" data-testid="stream-dials">
          {STREAM_DIALS.map((dial) => <div key={dial}><dt>{dial}</dt><dd>{data.dials[dial]}</dd></div>)}
        </dl>
      )}
      <DialForm session={session} path={path} dials={STREAM_DIALS} onChanged={reload} />
      {data !== undefined && <DialAuditTable changes={data.changes.map((c) => ({ ...c, scope: name }))} />}
    </section>
  );
}
