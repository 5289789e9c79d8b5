/**
 * @module streams/http/stream-metrics
 * What the stream routes add to `/metrics`, read from the log and the
 * checkpoints at scrape time (a scrape sees the present, as the queue
 * depths do), per stream:
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `millrace_stream_lag_records` | gauge | stream, kind (records not yet processed) |
 * | `millrace_stream_late_events` | gauge | stream (events past the allowed lateness, since the stream started) |
 * | `millrace_stream_dead_letters` | gauge | stream, kind |
 * | `millrace_stream_failed_buckets` | gauge | stream (micro-batch buckets that failed, since it started) |
 */
import { Gauge, type Registry } from 'prom-client';
import type { MicroBatchStatus, PipelineStatus } from '../runtime/stream-status.js';

/** The streams' statuses, as the routes read them. */
export type StreamStatuses = () => Promise<Array<PipelineStatus | MicroBatchStatus>>;

export function registerStreamMetrics(registry: Registry, statuses: StreamStatuses): void {
  // One read of every status per scrape, shared by the gauges collected in it.
  let reading: Promise<Array<PipelineStatus | MicroBatchStatus>> | undefined;
  const read = (): Promise<Array<PipelineStatus | MicroBatchStatus>> => {
    reading ??= statuses().finally(() => setImmediate(() => (reading = undefined)));
    return reading;
  };
  type Status = PipelineStatus | MicroBatchStatus;
  // A series that applies to one kind of stream only is labelled by stream alone.
  const series: Array<{ name: string; help: string; byKind: boolean; value: (s: Status) => number | undefined }> = [
    { name: 'millrace_stream_lag_records', help: 'Records of a stream not yet processed', byKind: true, value: (s) => s.lag },
    { name: 'millrace_stream_late_events', help: 'Events past the allowed lateness since the stream started', byKind: false, value: (s) => (s.kind === 'pipeline' ? s.late : undefined) },
    { name: 'millrace_stream_dead_letters', help: "Records in a stream's dead-letter topic", byKind: true, value: (s) => s.deadLetters },
    { name: 'millrace_stream_failed_buckets', help: 'Micro-batch buckets that failed since the stream started', byKind: false, value: (s) => (s.kind === 'micro-batch' ? s.failed : undefined) },
  ];
  for (const { name, help, byKind, value } of series) {
    new Gauge({
      name, help, labelNames: byKind ? ['stream', 'kind'] : ['stream'], registers: [registry],
      async collect() {
        for (const s of await read()) {
          const v = value(s);
          if (v !== undefined) this.set(byKind ? { stream: s.name, kind: s.kind } : { stream: s.name }, v);
        }
      },
    });
  }
}
