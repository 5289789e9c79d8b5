/**
 * @module core/repeating
 * Work done every so often, one round at a time: the next round is timed
 * from the end of the previous one (so a slow round never overlaps the
 * next), a failed round is reported and the loop goes on, and `stop` waits
 * for a round in progress. Scalers, the scheduler and the timeout manager
 * all run this way.
 */
import type { Clock, Timer } from './clock.js';

export interface RepeatingOptions {
  clock: Clock;
  intervalMs: number;
  /** Before the first round. @defaultValue `intervalMs` */
  firstDelayMs?: number;
  /** One round. */
  work: () => Promise<unknown>;
  /** A round that threw. */
  onError: (error: unknown) => void;
}

export class Repeating {
  private timer: Timer | undefined;
  private round: Promise<void> | undefined;
  private running = false;

  constructor(private readonly options: RepeatingOptions) {}

  /** Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.options.firstDelayMs ?? this.options.intervalMs);
  }

  /** No round starts after this; resolves once a round in progress ends. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimer(() => {
      this.round = this.options.work().then(() => undefined, this.options.onError).finally(() => {
        this.round = undefined;
        this.schedule(this.options.intervalMs);
      });
    }, delayMs);
  }
}
