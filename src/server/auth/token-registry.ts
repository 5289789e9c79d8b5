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

export const TOKEN_STREAM = 'millrace-tokens';
/** Reads caused by an unknown token id, at most this often. */
const MISS_REFRESH_MS = 100;
const TOKEN_PATTERN = /^mr_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** What is known about a token; never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  scope: Scope;
  createdAt: number;
  revokedAt?: number;
}

interface TokenRecord extends TokenInfo {
  hash: Buffer;
}

export class TokenRegistry {
  private readonly tokens = new Map<string, TokenRecord>();
  private version = 0;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: { events: EventStore; clock: Clock; refreshMs?: number }) {}

  /** Creates a token; the returned `token` is shown once and never again. */
  async create(name: string, scope: Scope): Promise<{ token: string; info: TokenInfo }> {
    if (!/^[\w .@:-]{1,100}$/.test(name)) throw new MillraceError('CONFIG_INVALID', `token name "${name}" must be 1–100 letters, digits, spaces or . _ - @ :`, { field: 'name' });
    if (!isScope(scope)) throw new MillraceError('CONFIG_INVALID', `scope must be read, operate or admin, got "${String(scope)}"`, { field: 'scope' });
    const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
    const secret = randomBytes(32).toString('base64url');
    const info: TokenInfo = { id, name, scope, createdAt: this.options.clock.now() };
    await this.append({ type: 'TokenCreated', data: { ...info, sha256: digest(secret) } });
    return { token: `mr_${id}_${secret}`, info };
  }

  /** @returns false when there is no such token or it was already revoked */
  async revoke(id: string): Promise<boolean> {
    await this.refresh(true);
    const token = this.tokens.get(id);
    if (token === undefined || token.revokedAt !== undefined) return false;
    await this.append({ type: 'TokenRevoked', data: { id, revokedAt: this.options.clock.now() } });
    return true;
  }

  async list(): Promise<TokenInfo[]> {
    await this.refresh(true);
    return [...this.tokens.values()].map(({ hash: _hash, ...info }) => info).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Whether any token (revoked or not) was ever created. */
  async any(): Promise<boolean> {
    await this.refresh(true);
    return this.tokens.size > 0;
  }

  /** The live token a bearer string names, or undefined. */
  async verify(bearer: string): Promise<TokenInfo | undefined> {
    const match = TOKEN_PATTERN.exec(bearer);
    if (match === null) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    // A token created since the last read is read at once; guessed ids cannot make every request a read.
    await this.refresh(this.tokens.has(id) ? 'periodic' : 'miss');
    const token = this.tokens.get(id);
    if (token === undefined || token.revokedAt !== undefined) return undefined;
    if (!timingSafeEqual(token.hash, Buffer.from(digest(secret), 'hex'))) return undefined;
    const { hash: _hash, ...info } = token;
    return info;
  }

  private async refresh(why: 'periodic' | 'miss' | true): Promise<void> {
    const now = this.options.clock.now();
    const interval = why === true ? 0 : why === 'miss' ? MISS_REFRESH_MS : (this.options.refreshMs ?? 1000);
    if (now - this.refreshedAt < interval) return;
    this.refreshedAt = now;
    for (const event of await this.options.events.read(TOKEN_STREAM, { fromVersion: this.version + 1 })) this.apply(event);
  }

  private apply(event: StoredEvent): void {
    this.version = event.version;
    const data = event.data as Record<string, unknown>;
    if (event.type === 'TokenCreated' && typeof data.id === 'string' && isScope(data.scope) && typeof data.sha256 === 'string') {
      this.tokens.set(data.id, { id: data.id, name: String(data.name), scope: data.scope, createdAt: Number(data.createdAt), hash: Buffer.from(data.sha256, 'hex') });
    } else if (event.type === 'TokenRevoked' && typeof data.id === 'string') {
      const token = this.tokens.get(data.id);
      if (token !== undefined) token.revokedAt = Number(data.revokedAt);
    }
  }

  /** Appends at the version this registry has read, re-reading and retrying when another writer came first. */
  private async append(event: { type: string; data: Record<string, unknown> }): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.refresh(true);
      try {
        await this.options.events.append(TOKEN_STREAM, [event], this.version === 0 ? 'no-stream' : this.version);
        await this.refresh(true);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EVENT_STORE_VERSION_CONFLICT' || attempt >= 5) throw error;
      }
    }
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
