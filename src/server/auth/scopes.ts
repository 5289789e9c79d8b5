/**
 * @module server/auth/scopes
 * What a token may do. Scopes are ordered: `admin` includes `operate`,
 * which includes `read`.
 */
export type Scope = 'read' | 'operate' | 'admin';

export const SCOPES: readonly Scope[] = ['read', 'operate', 'admin'];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** Whether a token holding `held` may do what `needed` allows. */
export function allows(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}
