/**
 * Shapes of the workers, streams and dials API (docs/server.md,
 * docs/streams.md) as the dashboard reads them; like types.ts, kept apart
 * from src/ so browser code never pulls in the server's modules.
 */
export interface WorkerView {
  id: string;
  host: string;
  pid: number;
  tags: string[];
  kinds: string[];
  queues: string[];
  threads: number;
  concurrency: number;
  inFlight: number;
  done: number;
  failed: number;
  startedAt: number;
  beatAt: number;
  intervalMs: number;
  state: 'up' | 'gone' | 'stopped';
}

export interface StreamBrief {
  name: string;
  kind: 'pipeline' | 'micro-batch';
  source: string;
  lag: number;
  late?: number;
  failed?: number;
  deadLetters: number;
  recordsPerSecond?: number | null;
  messagesPerSecond?: number | null;
}

export interface PartitionLag {
  partition: number;
  end: number;
  position: number;
  lag: number;
}

export interface PipelineStatus {
  name: string;
  kind: 'pipeline';
  source: { topic: string; partitions: PartitionLag[] };
  lag: number;
  watermarks: Array<{ partition: number; watermark: number | null; idle: boolean; ended: boolean }>;
  records: number;
  events: number;
  late: number;
  deadLetters: number;
  recordsPerSecond: number | null;
}

export interface MicroBatchStatus {
  name: string;
  kind: 'micro-batch';
  source: { topic: string; partitions: PartitionLag[] };
  lag: number;
  pending: { buckets: number; messages: number };
  buckets: number;
  messages: number;
  failed: number;
  deadLetters: number;
  dials: Record<string, number>;
  messagesPerSecond: number | null;
}

export type StreamStatus = PipelineStatus | MicroBatchStatus;

export interface WindowResult {
  id: string;
  key: unknown;
  start: number;
  end: number;
  kind: string;
  value: unknown;
}

/** An engine dial change (`/api/dials`) or a stream's (`/api/streams/:name/dials`). */
export interface DialChange {
  dial: string;
  from: unknown;
  to: unknown;
  by: string;
  at: number;
}

export interface StreamDials {
  name: string;
  dials: Record<string, number>;
  changes: DialChange[];
}
