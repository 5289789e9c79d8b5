/**
 * @module server/auth/policy-registry
 * Who may see and act on a dataset or a process definition, event sourced
 * in the engine's own `EventStore` (stream `millrace-policies`) like the
 * tokens, so every server of a deployment enforces the same policies.
 *
 * Glossary:
 * - resource: `dataset:<name>` or `process:<definition name>` (every
 *   version of the definition, and every process started from it).
 * - principal: `token:<id>` or `group:<name>` (a token's groups are fixed
 *   when it is created: `millrace token create --groups`).
 * - owner: one principal, which may read and operate.
 * - readers may read; operators may read and operate (start, cancel,
 *   retry). A token's scope still caps what it may do: a read-scope token
 *   named among the operators can only read.
 *
 * A resource without a policy is open to every token with the route's
 * scope; admin tokens pass every policy (see `ResourceAccess`).
 */
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { EventStore, StoredEvent } from '../../ports/event-store.js';
import { SharedStream } from './shared-stream.js';
import { GROUP_PATTERN } from './token-registry.js';

export const POLICY_STREAM = 'millrace-policies';

const RESOURCE_PATTERN = /^(dataset|process):[A-Za-z0-9][\w.:-]{0,199}$/;
const PRINCIPAL_PATTERN = /^(token:[a-z0-9]{12}|group:.+)$/;

/** An access policy on one resource. */
export interface Policy {
  resource: string;
  owner: string;
  readers: string[];
  operators: string[];
  updatedAt: number;
}

/** What `set` takes: the policy without its time stamp. */
export type PolicyInput = Omit<Policy, 'updatedAt'>;

export class PolicyRegistry {
  private readonly policies = new Map<string, Policy>();
  private readonly stream: SharedStream;

  constructor(private readonly options: { events: EventStore; clock: Clock; refreshMs?: number }) {
    this.stream = new SharedStream({ events: options.events, clock: options.clock, stream: POLICY_STREAM, apply: (event) => this.apply(event) });
  }

  /** Creates or replaces the policy of `input.resource`. @throws `CONFIG_INVALID` naming the bad field */
  async set(input: PolicyInput): Promise<Policy> {
    checkResource(input.resource);
    checkPrincipal('owner', input.owner);
    for (const principal of input.readers) checkPrincipal('readers', principal);
    for (const principal of input.operators) checkPrincipal('operators', principal);
    const policy: Policy = { resource: input.resource, owner: input.owner, readers: [...new Set(input.readers)], operators: [...new Set(input.operators)], updatedAt: this.options.clock.now() };
    await this.stream.append({ type: 'PolicySet', data: { ...policy } });
    return policy;
  }

  /** @returns false when the resource had no policy */
  async remove(resource: string): Promise<boolean> {
    await this.stream.refresh();
    if (!this.policies.has(resource)) return false;
    await this.stream.append({ type: 'PolicyRemoved', data: { resource, removedAt: this.options.clock.now() } });
    return true;
  }

  async list(): Promise<Policy[]> {
    await this.stream.refresh();
    return [...this.policies.values()].sort((a, b) => a.resource.localeCompare(b.resource));
  }

  /** Catches up with other servers' changes, at most every `refreshMs` (default 1 s). */
  refresh(): Promise<void> {
    return this.stream.refresh(this.options.refreshMs ?? 1000);
  }

  /** The policy as last read (call `refresh` first), or undefined. */
  peek(resource: string): Policy | undefined {
    return this.policies.get(resource);
  }

  private apply(event: StoredEvent): void {
    const data = event.data as Record<string, unknown>;
    if (event.type === 'PolicySet' && typeof data.resource === 'string' && typeof data.owner === 'string') {
      this.policies.set(data.resource, {
        resource: data.resource, owner: data.owner, readers: strings(data.readers), operators: strings(data.operators), updatedAt: Number(data.updatedAt),
      });
    } else if (event.type === 'PolicyRemoved' && typeof data.resource === 'string') {
      this.policies.delete(data.resource);
    }
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function checkResource(resource: string): void {
  if (!RESOURCE_PATTERN.test(resource)) {
    throw new MillraceError('CONFIG_INVALID', `resource "${resource}" must read dataset:<name> or process:<definition name>`, { field: 'resource' });
  }
}

function checkPrincipal(field: string, principal: string): void {
  const ok = PRINCIPAL_PATTERN.test(principal) && (!principal.startsWith('group:') || GROUP_PATTERN.test(principal.slice('group:'.length)));
  if (!ok) throw new MillraceError('CONFIG_INVALID', `${field}: "${principal}" must read token:<id> (12 letters or digits, see \`millrace token ls\`) or group:<name>`, { field });
}
