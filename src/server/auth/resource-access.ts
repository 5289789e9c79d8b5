/**
 * @module server/auth/resource-access
 * The one place that decides whether a caller may read or operate on a
 * dataset or a process definition, from the access policies. Routes ask
 * it after the token's scope was checked, and answer a refusal exactly as
 * they answer a missing resource (404), so a policy never reveals that
 * something it hides exists.
 *
 * Order of the rules: no authentication (a loopback server without
 * tokens) → allowed, there is no caller to tell apart; an admin token →
 * allowed; no policy on the resource → allowed (the scope check already
 * ran); otherwise the token itself or one of its groups must be the owner,
 * an operator, or (to read) a reader.
 */
import type { Policy, PolicyRegistry } from './policy-registry.js';
import type { TokenInfo } from './token-registry.js';

export type AccessAction = 'read' | 'operate';

export class ResourceAccess {
  /** @param policies none: every token with the route's scope may do anything it allows */
  constructor(private readonly policies?: PolicyRegistry) {}

  /** Whether policies can refuse anything at all. */
  get enforced(): boolean {
    return this.policies !== undefined;
  }

  /** Catches up with policy changes (cheap: re-reads at most every second). */
  async refresh(): Promise<void> {
    await this.policies?.refresh();
  }

  /** Against the policies as last read: call `refresh` (or `check`) first. */
  allows(token: TokenInfo | undefined, resource: string, action: AccessAction): boolean {
    if (token === undefined || token.scope === 'admin' || this.policies === undefined) return true;
    const policy = this.policies.peek(resource);
    return policy === undefined || policyAllows(policy, token, action);
  }

  async check(token: TokenInfo | undefined, resource: string, action: AccessAction): Promise<boolean> {
    if (token === undefined || token.scope === 'admin' || this.policies === undefined) return true;
    await this.refresh();
    return this.allows(token, resource, action);
  }
}

/** Whether a policy lets a (non-admin) token do `action`. */
export function policyAllows(policy: Policy, token: TokenInfo, action: AccessAction): boolean {
  const principals = new Set([`token:${token.id}`, ...token.groups.map((group) => `group:${group}`)]);
  const named = (list: readonly string[]): boolean => list.some((principal) => principals.has(principal));
  if (principals.has(policy.owner) || named(policy.operators)) return true;
  return action === 'read' && named(policy.readers);
}
