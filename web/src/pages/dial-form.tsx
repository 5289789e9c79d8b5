/** One form to change a dial: pick it, give the new value, send. Operate tokens only; the server checks the value. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.js';
import type { Session } from '../types.js';

export interface DialFormProps {
  session: Session;
  /** Where the PATCH goes. */
  path: string;
  dials: readonly string[];
  /** Dials whose value is JSON (a list) rather than a whole number. */
  jsonDials?: readonly string[];
  onChanged: () => void;
}

export function DialForm({ session, path, dials, jsonDials = [], onChanged }: DialFormProps): JSX.Element {
  const [dial, setDial] = useState(dials[0]!);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const readOnly = session.scope === 'read';
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    let parsed: unknown;
    try {
      parsed = jsonDials.includes(dial) ? JSON.parse(value) : Number(value.trim());
    } catch {
      setError(`${dial} takes JSON, e.g. [{"task":"resize","tag":"v2","share":0.1}]`);
      return;
    }
    if (typeof parsed === 'number' && (value.trim() === '' || !Number.isInteger(parsed))) {
      setError(`${dial} takes a whole number`);
      return;
    }
    setBusy(true);
    try {
      await api(path, { method: 'PATCH', body: { [dial]: parsed } });
      setValue('');
      onChanged();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="dial-form" onSubmit={(e) => void submit(e)} aria-label="Change a dial">
      <label>Dial
        <select value={dial} onChange={(e) => setDial((e.target as HTMLSelectElement).value)} disabled={readOnly} data-testid="dial-name">
          {dials.map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
      </label>
      <label>New value
        <input value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} disabled={readOnly} required data-testid="dial-value" />
      </label>
      <button type="submit" disabled={readOnly || busy} title={readOnly ? 'Changing a dial needs a token with the operate scope' : undefined}>Change</button>
      {error !== undefined && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
