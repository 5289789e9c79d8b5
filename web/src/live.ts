/**
 * The dashboard's one connection to `/api/live`. EventSource cannot send a
 * header, so each connection first asks for a one-use ticket with the
 * token (POST /api/live/tickets); a ticket is spent by the first
 * connection, so after a drop the page asks for a new one and reconnects
 * itself (with a growing pause) instead of letting EventSource retry.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { ProcessView, QueueSample, TaskFailureNote } from './types.js';

export type LiveStatus = 'off' | 'connecting' | 'live' | 'reconnecting';

export interface ProcessUpdate {
  view: ProcessView;
  failures: TaskFailureNote[];
}

const KEEP_SAMPLES = 180;

class LiveConnection {
  status: LiveStatus = 'off';
  /** Queue samples, oldest first (seeded by the server's recent ones). */
  samples: QueueSample[] = [];
  private source: EventSource | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private running = false;
  private readonly processListeners = new Set<(update: ProcessUpdate) => void>();
  private readonly changeListeners = new Set<() => void>();

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
    this.setStatus('off');
  }

  onProcess(listener: (update: ProcessUpdate) => void): () => void {
    this.processListeners.add(listener);
    return () => this.processListeners.delete(listener);
  }

  /** Status or samples changed. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private async connect(): Promise<void> {
    this.setStatus(this.failures === 0 ? 'connecting' : 'reconnecting');
    let ticket: string;
    try {
      ticket = (await api<{ ticket: string }>('/api/live/tickets', { method: 'POST' })).ticket;
    } catch {
      this.scheduleRetry();
      return;
    }
    if (!this.running) return;
    const source = new EventSource(`/api/live?ticket=${encodeURIComponent(ticket)}`);
    this.source = source;
    source.addEventListener('hello', (event) => {
      this.failures = 0;
      const { samples } = JSON.parse((event as MessageEvent<string>).data) as { samples: QueueSample[] };
      const newest = this.samples.at(-1)?.at ?? 0;
      this.samples = [...this.samples, ...samples.filter((s) => s.at > newest)].slice(-KEEP_SAMPLES);
      this.setStatus('live');
    });
    source.addEventListener('queues', (event) => {
      this.samples = [...this.samples, JSON.parse((event as MessageEvent<string>).data) as QueueSample].slice(-KEEP_SAMPLES);
      this.emitChange();
    });
    source.addEventListener('process', (event) => {
      const update = JSON.parse((event as MessageEvent<string>).data) as ProcessUpdate;
      for (const listener of this.processListeners) listener(update);
    });
    source.onerror = () => {
      source.close();
      if (this.source === source) this.source = undefined;
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (!this.running) return;
    this.failures++;
    this.setStatus('reconnecting');
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), Math.min(1000 * 2 ** (this.failures - 1), 15_000));
  }

  private setStatus(status: LiveStatus): void {
    this.status = status;
    this.emitChange();
  }

  private emitChange(): void {
    for (const listener of this.changeListeners) listener();
  }
}

export const live = new LiveConnection();

/** Re-renders on live status or samples. */
export function useLive(): { status: LiveStatus; samples: QueueSample[] } {
  const [, setVersion] = useState(0);
  useEffect(() => live.onChange(() => setVersion((v) => v + 1)), []);
  return { status: live.status, samples: live.samples };
}

/** Calls `listener` with every process update while the component is mounted. */
export function useProcessUpdates(listener: (update: ProcessUpdate) => void, deps: unknown[]): void {
  useEffect(() => live.onProcess(listener), deps);
}
