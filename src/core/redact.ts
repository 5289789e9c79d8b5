/**
 * @module core/redact
 * Connection URLs carry credentials; logs, errors, events and the dashboard
 * must not. Everything that shows a URL shows it through `redactUrl`.
 */

/** `amqp://user:secret@host:5672/vh?x=y` → `amqp://host:5672/vh` (no credentials, no query: tokens hide there too). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}
