/**
 * @module server/auth/shared-stream
 * A small piece of shared state (tokens, access policies) kept as one
 * event stream in the deployment's `EventStore`, so every server of the
 * deployment folds the same events into the same state. Readers re-read
 * the stream's tail at most every so often; writers append at the version
 * they have read and, when another writer came first, read again and retry
 * (the stream's optimistic concurrency is the only lock).
 */
import type { Clock } from '../../core/clock.js';
import type { EventStore, StoredEvent } from '../../ports/event-store.js';

export interface SharedStreamOptions {
  events: EventStore;
  clock: Clock;
  stream: string;
  /** Folds one stored event into the owner's state. */
  apply: (event: StoredEvent) => void;
}

export class SharedStream {
  private version = 0;
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SharedStreamOptions) {}

  /** Reads what was appended since the last read, unless that read is younger than `minIntervalMs`. */
  async refresh(minIntervalMs = 0): Promise<void> {
    const now = this.options.clock.now();
    if (now - this.refreshedAt < minIntervalMs) return;
    this.refreshedAt = now;
    for (const event of await this.options.events.read(this.options.stream, { fromVersion: this.version + 1 })) {
      this.version = event.version;
      this.options.apply(event);
    }
  }

  /** Appends at the version read, re-reading and retrying when another writer came first; the event is folded before this resolves. */
  async append(event: { type: string; data: Record<string, unknown> }): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await this.refresh();
      try {
        await this.options.events.append(this.options.stream, [event], this.version === 0 ? 'no-stream' : this.version);
        await this.refresh();
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EVENT_STORE_VERSION_CONFLICT' || attempt >= 5) throw error;
      }
    }
  }
}
