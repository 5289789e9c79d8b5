/**
 * @module workers/run-slots
 * A first-come, first-served count of tasks running at once. The task
 * worker takes more deliveries than it runs (its prefetch); those beyond
 * the limit wait here, in order, for a run to end.
 */
export class RunSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** @param limit - read at every grant, so a changed concurrency applies at once */
  constructor(private readonly limit: () => number) {}

  /** Resolves once a slot is the caller's; it must {@link release} it. */
  acquire(): Promise<void> {
    if (this.waiting.length === 0 && this.running < this.limit()) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.running--;
    this.grant();
  }

  private grant(): void {
    while (this.waiting.length > 0 && this.running < this.limit()) {
      this.running++;
      this.waiting.shift()!();
    }
  }

  /** Grants waiters after the limit was raised. */
  limitChanged(): void {
    this.grant();
  }
}
