/** The dashboard's frame: session, navigation, live status, and the page for the current path. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError, setUnauthorizedHandler, storeToken, storedToken } from './api.js';
import { live, useLive, type LiveStatus } from './live.js';
import { Login } from './login.js';
import { DatasetsPage } from './pages/datasets.js';
import { ProcessPage } from './pages/process.js';
import { ProcessesPage } from './pages/processes.js';
import { QueuesPage } from './pages/queues.js';
import { DialsPage } from './pages/dials.js';
import { StreamsPage } from './pages/streams.js';
import { WorkersPage } from './pages/workers.js';
import { ViewerPage } from './pages/viewer.js';
import { Link, useLocation } from './router.js';
import type { Session } from './types.js';

const NAV = [
  { href: '/processes', label: 'Processes' },
  { href: '/queues', label: 'Queues' },
  { href: '/workers', label: 'Workers' },
  { href: '/streams', label: 'Streams' },
  { href: '/dials', label: 'Dials' },
  { href: '/datasets', label: 'Datasets' },
  { href: '/viewer', label: 'Viewer' },
];

const STATUS_TEXT: Record<LiveStatus, string> = { off: 'not live', connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };

export function App(): JSX.Element {
  const [session, setSession] = useState<Session | 'login' | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      storeToken(null);
      live.stop();
      setSession('login');
    });
    api<Session>('/api/session')
      .then(setSession)
      .catch((e: unknown) => (e instanceof ApiError && e.status === 401 ? setSession('login') : setError(describeError(e))));
  }, []);

  useEffect(() => {
    if (typeof session !== 'object') return;
    live.start();
    return () => live.stop();
  }, [session]);

  if (error !== undefined) return <main><p role="alert" class="error">Cannot reach the server: {error}</p></main>;
  if (session === undefined) return <main><p class="muted">Loading…</p></main>;
  if (session === 'login') return <Login onSession={setSession} />;
  const signOut = (): void => {
    storeToken(null);
    live.stop();
    setSession('login');
  };
  return <Frame session={session} onSignOut={storedToken() === null ? undefined : signOut} />;
}

function Frame({ session, onSignOut }: { session: Session; onSignOut: (() => void) | undefined }): JSX.Element {
  const { path } = useLocation();
  const { status } = useLive();
  const page = route(path, session);
  useEffect(() => {
    document.title = `${page.title} · Millrace`;
  }, [page.title]);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <Link href="/processes" class="brand">Millrace</Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={path === item.href || path.startsWith(`${item.href}/`) ? 'page' : undefined}>{item.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live live-${status}`} role="status" aria-live="polite" data-testid="live-status">{STATUS_TEXT[status]}</span>
        <span class="who">
          {session.auth ? `${session.name ?? 'token'} (${session.scope})` : 'no auth'}
          {onSignOut !== undefined && <button type="button" class="link" onClick={onSignOut}>Sign out</button>}
        </span>
      </header>
      <main id="main" tabIndex={-1}>{page.body}</main>
    </>
  );
}

function route(path: string, session: Session): { title: string; body: JSX.Element } {
  const process = /^\/processes\/([^/]+)$/.exec(path);
  if (process !== null) {
    const id = decodeURIComponent(process[1]!);
    return { title: id, body: <ProcessPage key={id} processId={id} session={session} /> };
  }
  if (path === '/queues' || path.startsWith('/queues/')) return { title: 'Queues', body: <QueuesPage session={session} /> };
  if (path === '/workers') return { title: 'Workers', body: <WorkersPage /> };
  const stream = /^\/streams(?:\/([^/]+))?$/.exec(path);
  if (stream !== null) {
    const name = stream[1] === undefined ? undefined : decodeURIComponent(stream[1]);
    return { title: name ?? 'Streams', body: <StreamsPage session={session} name={name} /> };
  }
  if (path === '/dials') return { title: 'Dials', body: <DialsPage session={session} /> };
  if (path === '/viewer') return { title: 'Viewer', body: <ViewerPage /> };
  if (path === '/datasets' || path.startsWith('/datasets/')) return { title: 'Datasets', body: <DatasetsPage /> };
  return { title: 'Processes', body: <ProcessesPage session={session} /> };
}
