/**
 * @module server/metrics
 * What `/metrics` exposes to Prometheus. Counters and histograms grow as
 * things happen (tasks ending, HTTP requests); gauges are read from their
 * source at scrape time (queue depths, processes by status), so a scrape
 * always sees the present, never a stale copy.
 *
 * Task series carry the `tag` of the worker that ran the task (its tags
 * joined with `,`, or `untagged`), so a version tried on a share of the
 * traffic (jobs/task-routing) is compared with the old one on the same
 * live tasks: `rate(millrace_tasks_ended_total{outcome="failed"}[5m])` or a
 * duration quantile, by tag.
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `millrace_tasks_ended_total` | counter | definition, step, outcome, tag |
 * | `millrace_task_duration_seconds` | histogram | definition, step, tag |
 * | `millrace_processes` | gauge | status |
 * | `millrace_queue_messages` | gauge | queue, state (ready, delayed, in_flight, dead_lettered) |
 * | `millrace_queue_redeliveries` | gauge | queue (since the queue was created) |
 * | `millrace_worker_tasks_total` | gauge | outcome (this process's workers) |
 * | `millrace_worker_tasks_waiting_in_process` | gauge | (tasks handed to this process's workers, waiting for a run slot) |
 * | `millrace_scaler_threads` | gauge | kind (current, desired) |
 * | `millrace_scaler_desired_workers` | gauge | queue (the cluster scaler's figure) |
 * | `millrace_scaler_changes_total` | gauge | direction (up, down) |
 * | `millrace_http_request_duration_seconds` | histogram | method, route, status |
 * | `process_*`, `nodejs_*` | | Node's own (memory, CPU, event loop lag) |
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProcessIndex, TaskEnded } from '../jobs/process-index.js';
import type { TaskQueue } from '../ports/task-queue.js';
import type { ScalerStatus } from '../workers/scaler/pool-scaler.js';

export interface MetricsSources {
  index: ProcessIndex;
  queue: TaskQueue;
  /** Queues whose depth is reported. */
  queues: readonly string[];
  /** Counts of the workers in this process, if any. */
  workerStats?: () => { succeeded: number; retried: number; failed: number; deadLettered: number; redeliveries: number };
  /** Tasks handed to this process's workers in-process and waiting for a run slot: backlog no queue depth shows. */
  tasksWaitingInProcess?: () => number;
  /** The cluster scaler's state, when one runs. */
  desiredWorkers?: () => { queue: string; desired: number };
  /** The embedded scaler's state, when the pool autoscales. */
  scaler?: () => ScalerStatus | undefined;
}

export interface ServerMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Stops following the index. */
  close(): void;
}

export function createMetrics(sources: MetricsSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const ended = new Counter({ name: 'millrace_tasks_ended_total', help: 'Task attempts that ended, by outcome', labelNames: ['definition', 'step', 'outcome', 'tag'], registers: [registry] });
  const durations = new Histogram({
    name: 'millrace_task_duration_seconds', help: 'Run time of completed tasks as reported by workers', labelNames: ['definition', 'step', 'tag'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600], registers: [registry],
  });
  const requests = new Histogram({
    name: 'millrace_http_request_duration_seconds', help: 'HTTP requests served', labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry],
  });
  new Gauge({
    name: 'millrace_processes', help: 'Processes known to this server, by status', labelNames: ['status'], registers: [registry],
    collect() {
      for (const [status, count] of Object.entries(sources.index.countByStatus())) this.set({ status }, count);
    },
  });
  const redeliveries = new Gauge({ name: 'millrace_queue_redeliveries', help: 'Deliveries beyond the first since the queue was created', labelNames: ['queue'], registers: [registry] });
  new Gauge({
    name: 'millrace_queue_messages', help: 'Messages in a queue, by state', labelNames: ['queue', 'state'], registers: [registry],
    async collect() {
      for (const queue of sources.queues) {
        const stats = await sources.queue.stats(queue);
        this.set({ queue, state: 'ready' }, stats.ready);
        this.set({ queue, state: 'delayed' }, stats.delayed);
        this.set({ queue, state: 'in_flight' }, stats.inFlight);
        this.set({ queue, state: 'dead_lettered' }, stats.deadLettered);
        redeliveries.set({ queue }, stats.redelivered);
      }
    },
  });
  if (sources.workerStats !== undefined) {
    const workerStats = sources.workerStats;
    new Gauge({
      name: 'millrace_worker_tasks_total', help: 'Tasks settled by the workers in this process, by outcome', labelNames: ['outcome'], registers: [registry],
      collect() {
        for (const [outcome, count] of Object.entries(workerStats())) this.set({ outcome }, count);
      },
    });
  }
  if (sources.tasksWaitingInProcess !== undefined) {
    const waiting = sources.tasksWaitingInProcess;
    new Gauge({
      name: 'millrace_worker_tasks_waiting_in_process', help: 'Tasks handed to the workers in this process without the queue, waiting for a run slot', registers: [registry],
      collect() {
        this.set(waiting());
      },
    });
  }
  if (sources.scaler !== undefined) {
    const scaler = sources.scaler;
    new Gauge({
      name: 'millrace_scaler_threads', help: 'Worker threads now and as the scaler last called for', labelNames: ['kind'], registers: [registry],
      collect() {
        const status = scaler();
        if (status === undefined) return;
        this.set({ kind: 'current' }, status.current);
        this.set({ kind: 'desired' }, status.desired);
      },
    });
    new Gauge({
      name: 'millrace_scaler_changes_total', help: 'Pool resizes made by the scaler, by direction', labelNames: ['direction'], registers: [registry],
      collect() {
        const status = scaler();
        if (status === undefined) return;
        this.set({ direction: 'up' }, status.changes.up);
        this.set({ direction: 'down' }, status.changes.down);
      },
    });
  }
  if (sources.desiredWorkers !== undefined) {
    const desired = sources.desiredWorkers;
    new Gauge({
      name: 'millrace_scaler_desired_workers', help: 'Worker processes the cluster scaler asks for, per queue', labelNames: ['queue'], registers: [registry],
      collect() {
        const status = desired();
        this.set({ queue: status.queue }, status.desired);
      },
    });
  }
  const onTask = (task: TaskEnded): void => {
    ended.inc({ definition: task.definition, step: task.step, outcome: task.outcome, tag: task.tag });
    if (task.outcome === 'completed' && task.durationMs !== undefined) durations.observe({ definition: task.definition, step: task.step, tag: task.tag }, task.durationMs / 1000);
  };
  sources.index.events.on('task', onTask);
  return {
    registry,
    observeRequest: (method, route, status, seconds) => requests.observe({ method, route, status: String(status) }, seconds),
    close: () => void sources.index.events.off('task', onTask),
  };
}
