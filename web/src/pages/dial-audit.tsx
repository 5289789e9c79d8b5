/** The dials audit log as a table, newest first: when, who, where, which dial, old → new. */
import type { JSX } from 'preact';
import { formatTime } from '../format.js';
import type { DialChange } from '../operations-types.js';

export type ScopedChange = DialChange & { scope: string };

export function DialAuditTable({ changes }: { changes: ScopedChange[] }): JSX.Element {
  if (changes.length === 0) return <p class="muted">No dial has been changed yet.</p>;
  const newestFirst = [...changes].sort((a, b) => b.at - a.at);
  return (
    <table class="list" data-testid="dial-audit">
      <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Where</th><th scope="col">Dial</th><th scope="col">Old → new</th></tr></thead>
      <tbody>
        {newestFirst.map((c, i) => (
          <tr key={`${c.scope}-${c.dial}-${c.at}-${i}`}>
            <td>{formatTime(c.at)}</td>
            <td>{c.by}</td>
            <td>{c.scope}</td>
            <td><code>{c.dial}</code></td>
            <td><code>{show(c.from)}</code> → <code>{show(c.to)}</code></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function show(value: unknown): string {
  return value === null || value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
}
