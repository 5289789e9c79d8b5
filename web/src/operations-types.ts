/**
 * Shapes of the workers, streams and dials API (docs/server.md,
 * docs/streams.md) as the dashboard reads them: like types.ts, the
 * server's own types (type-only, erased from the bundle) where the API
 * sends them as they are, and the shapes only the API makes.
 */
import type { MicroBatchStatus, PipelineStatus } from '../../src/streams/runtime/stream-status.js';

export type { WorkerView } from '../../src/runtime/worker-heartbeat.js';
export type { MicroBatchStatus, PartitionLag, PipelineStatus } from '../../src/streams/runtime/stream-status.js';

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
