/**
 * @module queries/http/query-metrics
 * What the dataset routes add to `/metrics`: how long queries take, by
 * route and by whether the cache answered, and the query service's own
 * counters read at scrape time (cache hits and misses, cache bytes,
 * queries computed, queries waiting for admission).
 *
 * | metric | type | labels |
 * | --- | --- | --- |
 * | `millrace_query_duration_seconds` | histogram | route (`heatmap.png`…), cache (hit, miss) |
 * | `millrace_query_cache_lookups` | gauge | result (hit, miss), since the server started |
 * | `millrace_query_cache_bytes` | gauge | |
 * | `millrace_queries_computed` | gauge | since the server started |
 */
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { QueryService } from '../service/query-service.js';

export type ObserveQuery = (route: string, cached: boolean, seconds: number) => void;

export function registerQueryMetrics(registry: Registry, service: QueryService): ObserveQuery {
  const durations = new Histogram({
    name: 'millrace_query_duration_seconds', help: 'Dataset queries answered, from request to answer', labelNames: ['route', 'cache'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  new Gauge({
    name: 'millrace_query_cache_lookups', help: 'Result cache lookups since the server started, by result', labelNames: ['result'], registers: [registry],
    collect() {
      const { hits, misses } = service.stats.cache;
      this.set({ result: 'hit' }, hits);
      this.set({ result: 'miss' }, misses);
    },
  });
  new Gauge({ name: 'millrace_query_cache_bytes', help: 'Bytes of answers held by the result cache', registers: [registry], collect() { this.set(service.stats.cache.bytes); } });
  new Gauge({ name: 'millrace_queries_computed', help: 'Queries computed (not answered from the cache) since the server started', registers: [registry], collect() { this.set(service.stats.computed); } });
  return (route, cached, seconds) => durations.observe({ route, cache: cached ? 'hit' : 'miss' }, seconds);
}
