/**
 * @module adapters/embedded/threaded-event-store
 * The embedded `EventStore` on its own thread: a `SqliteEventStore` whose
 * commits (B-tree work, WAL writes, the fsync) run off the caller's thread.
 * In the embedded engine the main thread also runs the queue, the
 * orchestrator and the dispatch to worker threads; a 10,000-task fan-out
 * spent a quarter of that thread's time inside event-store commits, while
 * the second core sat mostly idle (`npm run bench -- dag`).
 *
 * Behaviour is the SQLite store's, call for call: batches are encoded here
 * (so a value JSON cannot hold fails in the caller, as before), stamped with
 * the caller's clock, and applied in the order they were made. Errors come
 * back as the same `MillraceError`s.
 */
import type { Worker } from 'node:worker_threads';
import type { Clock } from '../../core/clock.js';
import { SystemClock } from '../../core/clock.js';
import { MillraceError, fromSerialized, messageOf } from '../../core/errors.js';
import { siblingModule, startModuleThread } from '../../core/module-thread.js';
import type { AppendResult, EventStore, ExpectedVersion, NewEvent, StoredEvent } from '../../ports/event-store.js';
import type { EventStoreCall, EventStoreThreadData, FromEventStoreThread } from './event-store-protocol.js';
import { encodeNewEvents } from './sqlite-event-store.js';

export interface ThreadedEventStoreOptions {
  /** The SQLite file. */
  path: string;
  /** Source of `recordedAt` (only its `now` is read). @defaultValue a `SystemClock` */
  clock?: Pick<Clock, 'now'>;
  /** How long the thread may take to open the database. @defaultValue 30 000 ms */
  readyTimeoutMs?: number;
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * {@link EventStore} on SQLite, in a thread of its own.
 *
 * @example
 * ```ts
 * const store = await ThreadedEventStore.open({ path: '.millrace/events.db' })
 * await store.append('process-42', [{ type: 'ProcessStarted', data: {} }], 'no-stream')
 * await store.close()
 * ```
 */
export class ThreadedEventStore implements EventStore {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;
  /** Set when the thread is gone: every later call fails with it. */
  private broken: MillraceError | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly path: string,
  ) {
    worker.on('message', (message: FromEventStoreThread) => {
      if (message.t !== 'reply') return;
      const waiting = this.waiting.get(message.id);
      if (waiting === undefined) return;
      this.settled(message.id);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(fromSerialized(message.error));
    });
    worker.on('error', (error) => this.fail(`failed: ${messageOf(error)}`));
    worker.on('exit', (code) => this.fail(`exited with code ${code}`));
    // Idle, the thread must not keep the process alive; a call in flight must.
    worker.unref();
  }

  /** Starts the thread and opens (creating and migrating if needed) the database. @throws what opening a `SqliteEventStore` throws (`STORAGE_CORRUPT`…), `NOT_AVAILABLE` */
  static async open(options: ThreadedEventStoreOptions): Promise<ThreadedEventStore> {
    const data: EventStoreThreadData = { path: options.path };
    const worker = startModuleThread(siblingModule(import.meta.url, 'event-store-thread'), { workerData: { data } });
    await untilReady(worker, options.path, options.readyTimeoutMs ?? 30_000);
    return new ThreadedEventStore(worker, options.clock ?? new SystemClock(), options.path);
  }

  append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    try {
      const batch = encodeNewEvents(events);
      return this.call({ op: 'append', streamId, batch, expected: expectedVersion, now: this.clock.now() }) as Promise<AppendResult>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  read(streamId: string, options: { fromVersion?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    return this.call({ op: 'read', streamId, ...options }) as Promise<StoredEvent[]>;
  }

  readAll(options: { afterPosition?: number; limit?: number } = {}): Promise<StoredEvent[]> {
    return this.call({ op: 'readAll', ...options }) as Promise<StoredEvent[]>;
  }

  streamVersion(streamId: string): Promise<number> {
    return this.call({ op: 'streamVersion', streamId }) as Promise<number>;
  }

  /** Waits for the calls already made, closes the database and ends the thread. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const closing = this.call({ op: 'close' });
    this.closed = true;
    try {
      await closing;
    } finally {
      await this.worker.terminate();
    }
  }

  private call(call: EventStoreCall): Promise<unknown> {
    if (this.closed) return Promise.reject(new MillraceError('EVENT_STORE_CLOSED', 'event store is closed'));
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...call, id });
    });
  }

  private settled(id: number): void {
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
  }

  private fail(what: string): void {
    if (this.broken !== undefined) return;
    this.broken = new MillraceError('NOT_AVAILABLE', `event store thread for ${this.path} ${what}`, { path: this.path });
    for (const [id, waiting] of this.waiting) {
      this.settled(id);
      waiting.reject(this.closed ? new MillraceError('EVENT_STORE_CLOSED', 'event store is closed') : this.broken);
    }
  }
}

function untilReady(worker: Worker, path: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: MillraceError): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      void worker.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(new MillraceError('NOT_AVAILABLE', `event store thread did not open ${path} within ${timeoutMs} ms`, { path })), timeoutMs);
    const onMessage = (message: FromEventStoreThread): void => {
      if (message.t === 'fatal') fail(message.error !== undefined ? fromSerialized(message.error) : new MillraceError('NOT_AVAILABLE', `event store thread for ${path} failed to start: ${message.message}`, { path }));
      if (message.t !== 'ready') return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number): void => fail(new MillraceError('NOT_AVAILABLE', `event store thread exited with code ${code} while opening ${path}`, { path }));
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
