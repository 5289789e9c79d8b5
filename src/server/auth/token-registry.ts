/**
 * @module server/auth/token-registry
 * API tokens, event sourced in the engine's own `EventStore` (stream
 * `millrace-tokens`), so they live wherever the deployment's state does —
 * SQLite embedded, PostgreSQL in a cluster — and every server sees the same
 * set without a table of its own.
 *
 * A token reads `mr_<id>_<secret>`: the id finds the record, the secret (32
 * random bytes) is never stored, only its SHA-256. A fast hash is right
 * here: the secret is random, not a password, so there is nothing to
 * guess. Comparison is constant-time. Servers re-read the stream at most
 * every `refreshMs`, so a revocation takes effect within that.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { MillraceError } from '../../core/errors.js';
import type { EventStore, StoredEvent } from '../../ports/event-store.js';
import { isScope, type Scope } from './scopes.js';
import { SharedStream } from './shared-stream.js';

export const TOKEN_STREAM = 'millrace-tokens';
/** Reads caused by an unknown token id, at most this often. */
const MISS_REFRESH_MS = 100;
const TOKEN_PATTERN = /^mr_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** A group a token belongs to, named by access policies (`group:<name>`). */
export const GROUP_PATTERN = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** What is known about a token; never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  scope: Scope;
  /** Groups named by access policies; tokens created before groups existed have none. */
  groups: string[];
  createdAt: number;
  revokedAt?: number;
}

interface TokenRecord extends TokenInfo {
  hash: Buffer;
}

export class TokenRegistry {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly stream: SharedStream;

  constructor(private readonly options: { events: EventStore; clock: Clock; refreshMs?: number }) {
    this.stream = new SharedStream({ events: options.events, clock: options.clock, stream: TOKEN_STREAM, apply: (event) => this.apply(event) });
  }

  /** Creates a token; the returned `token` is shown once and never again. */
  async create(name: string, scope: Scope, groups: readonly string[] = []): Promise<{ token: string; info: TokenInfo }> {
    if (!/^[\w .@:-]{1,100}$/.test(name)) throw new MillraceError('CONFIG_INVALID', `token name "${name}" must be 1–100 letters, digits, spaces or . _ - @ :`, { field: 'name' });
    if (!isScope(scope)) throw new MillraceError('CONFIG_INVALID', `scope must be read, operate or admin, got "${String(scope)}"`, { field: 'scope' });
    const bad = groups.find((group) => !GROUP_PATTERN.test(group));
    if (bad !== undefined) throw new MillraceError('CONFIG_INVALID', `group "${bad}" must be 1–64 letters, digits or . _ - (starting with a letter or digit)`, { field: 'groups' });
    const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
    const secret = randomBytes(32).toString('base64url');
    const info: TokenInfo = { id, name, scope, groups: [...new Set(groups)], createdAt: this.options.clock.now() };
    await this.stream.append({ type: 'TokenCreated', data: { ...info, sha256: digest(secret) } });
    return { token: `mr_${id}_${secret}`, info };
  }

  /** @returns false when there is no such token or it was already revoked */
  async revoke(id: string): Promise<boolean> {
    await this.stream.refresh();
    const token = this.tokens.get(id);
    if (token === undefined || token.revokedAt !== undefined) return false;
    await this.stream.append({ type: 'TokenRevoked', data: { id, revokedAt: this.options.clock.now() } });
    return true;
  }

  async list(): Promise<TokenInfo[]> {
    await this.stream.refresh();
    return [...this.tokens.values()].map(({ hash: _hash, ...info }) => info).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Whether any token (revoked or not) was ever created. */
  async any(): Promise<boolean> {
    await this.stream.refresh();
    return this.tokens.size > 0;
  }

  /** The live token a bearer string names, or undefined. */
  async verify(bearer: string): Promise<TokenInfo | undefined> {
    const match = TOKEN_PATTERN.exec(bearer);
    if (match === null) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    // A token created since the last read is read at once; guessed ids cannot make every request a read.
    await this.stream.refresh(this.tokens.has(id) ? (this.options.refreshMs ?? 1000) : MISS_REFRESH_MS);
    const token = this.tokens.get(id);
    if (token === undefined || token.revokedAt !== undefined) return undefined;
    if (!timingSafeEqual(token.hash, Buffer.from(digest(secret), 'hex'))) return undefined;
    const { hash: _hash, ...info } = token;
    return info;
  }

  private apply(event: StoredEvent): void {
    const data = event.data as Record<string, unknown>;
    if (event.type === 'TokenCreated' && typeof data.id === 'string' && isScope(data.scope) && typeof data.sha256 === 'string') {
      this.tokens.set(data.id, { id: data.id, name: String(data.name), scope: data.scope, groups: Array.isArray(data.groups) ? data.groups.map(String) : [], createdAt: Number(data.createdAt), hash: Buffer.from(data.sha256, 'hex') });
    } else if (event.type === 'TokenRevoked' && typeof data.id === 'string') {
      const token = this.tokens.get(data.id);
      if (token !== undefined) token.revokedAt = Number(data.revokedAt);
    }
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
