/** Asks for an API token when the server checks them; the token is checked before it is kept. */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, api, describeError, storeToken } from './api.js';
import type { Session } from './types.js';

export function Login({ onSession }: { onSession: (session: Session) => void }): JSX.Element {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await api<Session>('/api/session', { token: token.trim() });
      storeToken(token.trim());
      onSession(session);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'That token is unknown or revoked.' : describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Millrace</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="login-help">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>Sign in</button>
        <p id="login-help" class="muted">This server checks tokens. Create one with <code>millrace token create --name me --scope read</code> (or <code>operate</code> to start and cancel). It is kept in this tab only.</p>
        {error !== undefined && <p role="alert" class="error">{error}</p>}
      </form>
    </main>
  );
}
