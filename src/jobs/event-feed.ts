/**
 * @module jobs/event-feed
 * Follows the event store's global order (`readAll`) and hands each page of
 * events to a handler, one page at a time. Woken at once by writes in this
 * process (`ring`), and by polling for writes from other processes. The
 * handler decides what "processed" means (the receptor checkpoints its
 * position; in-memory views start from zero).
 */
import type { Clock, Timer } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventStore, StoredEvent } from '../ports/event-store.js';

export interface EventFeedOptions {
  events: EventStore;
  clock: Clock;
  logger: Logger;
  name: string;
  /** Called with each page, in order; the next page waits for it. */
  handle: (events: StoredEvent[]) => Promise<void> | void;
  /** Poll interval for writes from other processes. @defaultValue 250 ms */
  pollIntervalMs?: number;
  /** Events per page. @defaultValue 1000 */
  pageSize?: number;
}

export class EventFeed {
  private position = 0;
  private running = false;
  private reading: Promise<void> | undefined;
  private again = false;
  private timer: Timer | undefined;
  private caughtUp: Array<() => void> = [];

  constructor(private readonly options: EventFeedOptions) {}

  /** Position of the last event handled. */
  get lastPosition(): number {
    return this.position;
  }

  /** Starts after `position` (exclusive) and reads until caught up before resolving. */
  async start(position = 0): Promise<void> {
    this.position = position;
    this.running = true;
    await this.catchUp();
    this.schedulePoll();
  }

  /** Something was written: read now. */
  ring(): void {
    if (!this.running) return;
    if (this.reading !== undefined) {
      this.again = true;
      return;
    }
    this.reading = this.readAll().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        this.ring();
      }
    });
  }

  /** Resolves once everything written before the call has been handled. */
  async catchUp(): Promise<void> {
    this.ring();
    while (this.reading !== undefined) await this.reading;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    await this.reading;
  }

  private async readAll(): Promise<void> {
    const pageSize = this.options.pageSize ?? 1000;
    try {
      for (;;) {
        const page = await this.options.events.readAll({ afterPosition: this.position, limit: pageSize });
        if (page.length === 0) break;
        await this.options.handle(page);
        this.position = page[page.length - 1]!.position;
        if (page.length < pageSize) break;
      }
    } catch (error) {
      this.options.logger.error({ feed: this.options.name, position: this.position, error: messageOf(error) }, 'event feed failed; retrying at the next poll');
    }
    for (const resolve of this.caughtUp.splice(0)) resolve();
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimer(() => {
      this.ring();
      this.schedulePoll();
    }, this.options.pollIntervalMs ?? 250);
  }
}
