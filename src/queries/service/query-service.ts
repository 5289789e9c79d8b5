/**
 * @module queries/service/query-service
 * The gatherer's front door: one object a server (or a script) holds to
 * list datasets and answer queries.
 *
 * ```
 *  request ─▶ normalise (400 on a bad parameter) ─▶ key, ETag ─▶ cache? ──hit──▶ answer
 *                                                                  │ miss
 *                        identical query already running? ◀───────┘
 *                          │ yes: wait for it   │ no
 *                          │                    ▼
 *                          │       admission (bounded queries and bytes; fair; 503)
 *                          │                    ▼
 *                          │       open files (cached) ─▶ plan strips ─▶ runner (scatter)
 *                          │                    ▼                         within the deadline
 *                          └──────────▶ gather ─▶ render ─▶ cache ─▶ answer
 * ```
 */
import { createHash, randomUUID } from 'node:crypto';
import { SystemClock, type Clock } from '../../core/clock.js';
import type { BlobStore } from '../../ports/blob-store.js';
import { getDataset, listDatasets, type DatasetRevision } from '../dataset/dataset-catalog.js';
import { openDatasetFile, type DatasetFile } from '../format/dataset-file-reader.js';
import { planQuery } from '../plan/plan-query.js';
import { DEFAULT_QUERY_LIMITS, normaliseQuery, type QueryLimits } from '../query/normalise-query.js';
import type { NormalisedQuery, QueryRequest, QueryResult } from '../query/query-types.js';
import { queryError } from '../query-errors.js';
import type { Scale } from '../render/colour-map.js';
import { renderPng } from '../render/render-png.js';
import { renderTaskOf } from '../render/render-task.js';
import { MAX_GRID_MESSAGE_BYTES } from '../query/float32-bytes.js';
import { renderBinary, renderJson } from '../render/render-points.js';
import { Admission, type AdmissionOptions, type AdmissionStats } from './admission.js';
import { executePlan } from './execute-plan.js';
import { LruMap } from './lru-map.js';
import { ResultCache, type CacheStats, type RenderedAnswer } from './result-cache.js';
import { SingleFlight } from './single-flight.js';
import type { StripRunner } from './strip-runner.js';

export type OutputFormat = 'png' | 'json' | 'binary';

export interface OutputOptions {
  format: OutputFormat;
  /** PNG only. @defaultValue 'log' */
  scale?: Scale;
}

/** A checked query with its cache key and ETag, before any data is read. */
export interface PreparedQuery {
  query: NormalisedQuery;
  output: Required<OutputOptions>;
  key: string;
  etag: string;
}

export interface QueryServiceOptions {
  blobs: BlobStore;
  runner: StripRunner;
  clock?: Clock;
  limits?: Partial<QueryLimits>;
  /** A query's whole time budget, admission included. @defaultValue 10 000 ms */
  deadlineMs?: number;
  /** Bytes of rendered answers kept. @defaultValue 64 MiB */
  cacheBytes?: number;
  admission?: Partial<AdmissionOptions>;
  /** How long a dataset's newest revision is reused before looking again. @defaultValue 1 000 ms */
  manifestTtlMs?: number;
  /** Planner tuning. */
  targetStripBytes?: number;
  maxStrips?: number;
  /** Answers every query at this level (clamped per file) instead of by the level rule: for comparisons (the base level is a brute-force scan). @defaultValue the level rule */
  forceLevel?: { rt: number; mz: number };
}

export interface QueryServiceStats {
  queries: number;
  computed: number;
  cache: CacheStats;
  admission: AdmissionStats;
  /** Queries answered by joining an identical one already running. */
  joined: number;
}

/**
 * @example
 * ```ts
 * const service = new QueryService({ blobs, runner: createQueueStripRunner({ queue }) })
 * const prepared = await service.prepare({ kind: 'heatmap', dataset: 'lcms', group: 'all' }, { format: 'png' })
 * const { answer } = await service.answer(prepared)
 * ```
 */
export class QueryService {
  readonly limits: QueryLimits;
  private readonly clock: Clock;
  private readonly deadlineMs: number;
  private readonly cache: ResultCache;
  private readonly admission: Admission;
  private readonly flights = new SingleFlight<RenderedAnswer>();
  private readonly files = new LruMap<Promise<DatasetFile>>({ maxEntries: 1024 });
  /** Newest revision by dataset name, and when it was looked up. */
  private readonly revisions = new LruMap<{ at: number; revision: Promise<DatasetRevision> }>({ maxEntries: 256 });
  private readonly manifestTtlMs: number;
  private readonly counters = { queries: 0, computed: 0, joined: 0 };

  constructor(private readonly options: QueryServiceOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.limits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.cache = new ResultCache(options.cacheBytes ?? 64 * 1024 * 1024);
    this.admission = new Admission({ clock: this.clock, ...options.admission });
    this.manifestTtlMs = options.manifestTtlMs ?? 1_000;
  }

  datasets(): Promise<DatasetRevision[]> {
    return listDatasets(this.options.blobs);
  }

  /** The newest revision of a dataset (reused for `manifestTtlMs`). @throws `DATASET_NOT_FOUND` */
  dataset(name: string): Promise<DatasetRevision> {
    const cached = this.revisions.get(name);
    if (cached !== undefined && this.clock.now() - cached.at < this.manifestTtlMs) return cached.revision;
    const revision = getDataset(this.options.blobs, name);
    this.revisions.set(name, { at: this.clock.now(), revision });
    revision.catch(() => this.revisions.delete(name));
    return revision;
  }

  /** Checks a query and derives its key and ETag. @throws `QUERY_INVALID`, `DATASET_NOT_FOUND` */
  async prepare(request: QueryRequest, output: OutputOptions): Promise<PreparedQuery> {
    const query = normaliseQuery(request, await this.dataset(request.dataset), this.limits);
    const full = { format: output.format, scale: output.scale ?? 'log' } satisfies Required<OutputOptions>;
    const key = JSON.stringify({ query, format: full.format, scale: full.format === 'png' ? full.scale : undefined });
    return { query, output: full, key, etag: `"${createHash('sha256').update(key).digest('hex').slice(0, 40)}"` };
  }

  /**
   * The rendered answer: from the cache, from an identical query running
   * now, or computed.
   * @throws `QUERY_OVERLOADED`, `QUERY_DEADLINE_EXCEEDED`, `QUERY_CANCELLED`, `STORAGE_CORRUPT`
   */
  async answer(prepared: PreparedQuery, options: { signal?: AbortSignal; client?: string } = {}): Promise<{ answer: RenderedAnswer; cached: boolean }> {
    this.counters.queries++;
    const hit = this.cache.get(prepared.key);
    if (hit !== undefined) return { answer: hit, cached: true };
    const deadlineAt = this.clock.now() + this.deadlineMs;
    const { value, joined } = await this.flights.run(prepared.key, async (signal) => {
      const result = await this.compute(prepared.query, { signal, deadlineAt, client: options.client ?? 'anonymous', pngPixels: prepared.output.format === 'png' ? prepared.query.width * prepared.query.height : 0 });
      const { width, height } = prepared.query;
      // A grid too large for one queue message is drawn on this thread: rare (images of millions of pixels).
      const drawElsewhere = result.grid.values.byteLength <= MAX_GRID_MESSAGE_BYTES ? this.options.runner.renderPng : undefined;
      const png = prepared.output.format !== 'png' ? undefined
        : drawElsewhere === undefined ? renderPng(result.grid, width, height, prepared.output.scale)
          : await drawElsewhere(renderTaskOf(result.grid, width, height, prepared.output.scale), { signal, deadlineAt });
      const answer = render(result, prepared, png);
      this.cache.set(prepared.key, answer);
      return answer;
    }, options.signal);
    if (joined) this.counters.joined++;
    return { answer: value, cached: false };
  }

  /** Computes a query's grid, uncached. */
  async query(request: QueryRequest, options: { signal?: AbortSignal; client?: string } = {}): Promise<QueryResult> {
    const query = normaliseQuery(request, await this.dataset(request.dataset), this.limits);
    return this.compute(query, { signal: options.signal, deadlineAt: this.clock.now() + this.deadlineMs, client: options.client ?? 'anonymous', pngPixels: 0 });
  }

  get stats(): QueryServiceStats {
    return { ...this.counters, cache: this.cache.stats, admission: this.admission.stats };
  }

  private async compute(query: NormalisedQuery, options: { signal?: AbortSignal; deadlineAt: number; client: string; pngPixels: number }): Promise<QueryResult> {
    // Memory held: the grid (float32), strip answers as they arrive and as placed (~2×), and the PNG's pixels.
    const cost = query.width * query.height * 16 + options.pngPixels * 3;
    const permit = await this.admission.admit(cost, options.client, options.signal);
    try {
      this.counters.computed++;
      const revision = await this.dataset(query.dataset);
      const files = await Promise.all(query.files.map((id) => this.openFile(revision, id)));
      const plan = planQuery(query, files, {
        queryId: randomUUID(), deadlineAt: options.deadlineAt, targetStripBytes: this.options.targetStripBytes, maxStrips: this.options.maxStrips, level: this.options.forceLevel,
      });
      return await executePlan(query, plan, this.options.runner, { signal: options.signal, deadlineAt: options.deadlineAt });
    } finally {
      permit.release();
    }
  }

  private openFile(revision: DatasetRevision, id: string): Promise<DatasetFile> {
    const entry = revision.manifest.files.find((f) => f.id === id);
    if (entry === undefined) throw queryError('QUERY_INVALID', `dataset ${revision.manifest.name} has no file ${id}`, { parameter: 'files' });
    const key = `${entry.ref.store}:${entry.ref.key}@${entry.ref.sha256}`;
    let opened = this.files.get(key);
    if (opened === undefined) {
      opened = openDatasetFile(this.options.blobs, entry.ref);
      this.files.set(key, opened);
      opened.catch(() => this.files.delete(key));
    }
    return opened;
  }
}

function render(result: QueryResult, prepared: PreparedQuery, png: Buffer | undefined): RenderedAnswer {
  const { format } = prepared.output;
  const body = png ?? (format === 'json' ? renderJson(result) : renderBinary(result));
  const contentType = format === 'png' ? 'image/png' : format === 'json' ? 'application/json' : 'application/octet-stream';
  return { body, contentType, etag: prepared.etag, summary: { rt: result.grid.rt, mz: result.grid.mz, levels: result.levels, bytesRead: result.stats.bytesRead, max: largest(result.grid.values) } };
}

function largest(values: Float32Array): number {
  let top = 0;
  for (let k = 0; k < values.length; k++) if (values[k]! > top) top = values[k]!; // indexed: an iterator here cost 5% of the gatherer's time
  return top;
}
