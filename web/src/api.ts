/**
 * Calls to the HTTP API with the session's token. The token lives in
 * sessionStorage: it survives a reload but not the tab, and no script from
 * another origin can run here (the page's Content-Security-Policy allows
 * only its own files).
 */
const TOKEN_KEY = 'millrace.token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** What to do when the server refuses the token (sign out). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}): Promise<T> {
  const token = init.token === undefined ? storedToken() : init.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? null : JSON.stringify(init.body) });
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = response.statusText;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    if (response.status === 401 && init.token === undefined) onUnauthorized();
    throw new ApiError(response.status, code, message);
  }
  return (await response.json()) as T;
}

/** A message fit for the page from anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
