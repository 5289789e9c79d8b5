/**
 * @module adapters/postgres/pg-notifications
 * Wake-ups for waiting `tail`s, from LISTEN/NOTIFY on one dedicated
 * connection per log instance, with polling as the fallback.
 *
 * ```
 * append tx: … pg_notify(channel, 'topicId:partition') … COMMIT ──► server delivers at commit
 *                                                                     │
 * tail: watch(key) ─► listening() ─► read ─► (nothing new) ─► wait ◄──┘ or poll timer, abort, close
 * ```
 *
 * The watch is registered before the read and LISTEN is in force before it,
 * so a record committed after the read always wakes the tail, and one
 * committed before it is returned by it. Notifications are hints, not data:
 * a tail always re-reads, so a lost notification (a dropped listening
 * connection, a full queue) costs at most one poll interval.
 *
 * The listening connection is checked out of the adapter's pool while any
 * tail runs and destroyed (not returned, so no LISTEN leaks into the pool)
 * when the last one ends. If it drops, every watcher is woken to re-read,
 * and the next wait listens again on a fresh connection.
 */
import type { Pool, PoolClient } from 'pg';
import type { Clock } from '../../core/clock.js';
import { quoteIdent } from './pg-schema.js';

/** Interest in one key, registered until `close`. */
export interface Watch {
  /** Resolves on the first of: a notification (possibly already received), `ms` of `clock`, an abort. */
  wait(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void>;
  /** Unregisters and cancels whatever `wait` set up. Idempotent. */
  close(): void;
}

interface Watcher {
  notified: boolean;
  wake: (() => void) | undefined;
}

/** One LISTEN connection and the watchers it wakes. */
export class PgNotifications {
  private client: PoolClient | undefined;
  /** Lets the current connection go (set while one is listening). */
  private detach: (() => void) | undefined;
  private connecting: Promise<void> | undefined;
  private users = 0;
  private closed = false;
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(
    private readonly pool: Pool,
    /** Channel name (an identifier of at most 63 bytes). */
    readonly channel: string,
  ) {}

  /** A tail starts: the listening connection is kept while any tail runs. */
  retain(): void {
    this.users++;
  }

  /** A tail ends; the last one out lets the connection go. */
  release(): void {
    this.users--;
    if (this.users === 0) this.disconnect();
  }

  /**
   * Resolves once LISTEN is in force. Never rejects: if the connection
   * cannot be had, callers fall back on their poll timer and the next call
   * tries again.
   */
  async listening(): Promise<void> {
    if (this.closed || this.client !== undefined) return;
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    await this.connecting;
  }

  /** Registers interest in `key` (`topicId:partition`); a notification from now on is not missed. */
  watch(key: string): Watch {
    const watcher: Watcher = { notified: false, wake: undefined };
    const set = this.watchers.get(key) ?? new Set<Watcher>();
    this.watchers.set(key, set);
    set.add(watcher);
    let cancel: (() => void) | undefined;
    return {
      wait: (clock, ms, signal) =>
        new Promise<void>((resolve) => {
          if (watcher.notified || this.closed || signal?.aborted === true) {
            resolve();
            return;
          }
          const done = (): void => {
            cancel?.();
            resolve();
          };
          const timer = clock.setTimer(done, ms);
          signal?.addEventListener('abort', done, { once: true });
          watcher.wake = done;
          cancel = () => {
            timer.cancel();
            signal?.removeEventListener('abort', done);
            watcher.wake = undefined;
            cancel = undefined;
          };
        }),
      close: () => {
        cancel?.();
        set.delete(watcher);
        if (set.size === 0 && this.watchers.get(key) === set) this.watchers.delete(key);
      },
    };
  }

  /** Wakes the watchers of `key`: for appends made through this process, without waiting for the server. */
  wake(key: string): void {
    const set = this.watchers.get(key);
    if (set !== undefined) for (const watcher of [...set]) notify(watcher);
  }

  /** Wakes every watcher and lets the connection go; later `listening` calls do nothing. */
  close(): void {
    this.closed = true;
    this.wakeAll();
    this.disconnect();
  }

  private async connect(): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch {
      return;
    }
    const onNotification = (message: { channel: string; payload?: string }): void => {
      if (message.channel === this.channel && message.payload !== undefined) this.wake(message.payload);
    };
    const onLost = (): void => {
      if (this.client !== client) return;
      this.drop(client, onNotification, onLost);
      this.wakeAll();
    };
    client.on('notification', onNotification);
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch {
      this.drop(client, onNotification, onLost);
      return;
    }
    this.client = client;
    this.detach = () => this.drop(client, onNotification, onLost);
    // Closed, or every tail ended, while LISTEN was on its way.
    if (this.closed || this.users === 0) this.disconnect();
  }

  private disconnect(): void {
    const detach = this.detach;
    this.detach = undefined;
    detach?.();
  }

  /** Destroys the connection: a LISTEN must not go back into the pool. */
  private drop(client: PoolClient, onNotification: (message: { channel: string; payload?: string }) => void, onLost: () => void): void {
    client.removeListener('notification', onNotification);
    client.removeListener('end', onLost);
    // Keep swallowing errors: a destroyed socket may still report one.
    client.removeListener('error', onLost);
    client.on('error', () => undefined);
    if (this.client === client) this.client = undefined;
    this.detach = undefined;
    try {
      client.release(true);
    } catch {
      // Already released: the pool reports a double release by throwing.
    }
  }

  private wakeAll(): void {
    for (const set of [...this.watchers.values()]) for (const watcher of [...set]) notify(watcher);
  }
}

function notify(watcher: Watcher): void {
  watcher.notified = true;
  watcher.wake?.();
}
