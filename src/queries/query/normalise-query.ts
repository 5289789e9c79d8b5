/**
 * @module queries/query/normalise-query
 * Checks a query against its dataset and fills every default, so that two
 * requests with the same answer become the same value (the cache key and
 * the ETag). Every error names the parameter at fault.
 */
import type { DatasetRevision } from '../dataset/dataset-catalog.js';
import type { DatasetFileEntry } from '../dataset/manifest.js';
import { invalidParameter } from '../query-errors.js';
import { AGGREGATES, type Aggregate, type NormalisedQuery, type QueryRequest } from './query-types.js';

export interface QueryLimits {
  /** Largest width (RT slots) and height (m/z slots). @defaultValue 4096 each */
  maxWidth: number;
  maxHeight: number;
  /** Most files one query may average. @defaultValue 1000 */
  maxFiles: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxWidth: 4096, maxHeight: 4096, maxFiles: 1000 };

const DEFAULT_SIZE = { heatmap: [512, 512], chromatogram: [1000, 1], spectrum: [1, 1000] } as const;
const DEFAULT_AGGREGATE: Record<NormalisedQuery['kind'], Aggregate> = { heatmap: 'max', chromatogram: 'sum', spectrum: 'sum' };

/** @throws `QUERY_INVALID` with `details.parameter` */
export function normaliseQuery(request: QueryRequest, revision: DatasetRevision, limits: QueryLimits = DEFAULT_QUERY_LIMITS): NormalisedQuery {
  const { manifest } = revision;
  const entries = selectFiles(request, manifest.files, manifest.groups, manifest.name, limits.maxFiles);
  const rtDefaultMax = Math.max(...entries.map((f) => f.rtMax + (f.scans > 1 ? (f.rtMax - f.rtMin) / (f.scans - 1) : 1)));
  const rtMin = bound(request.rtMin, 'rtMin', Math.min(...entries.map((f) => f.rtMin)));
  const rtMax = bound(request.rtMax, 'rtMax', rtDefaultMax);
  const mzMin = bound(request.mzMin, 'mzMin', Math.min(...entries.map((f) => f.mzMin)));
  const mzMax = bound(request.mzMax, 'mzMax', Math.max(...entries.map((f) => f.mzMax)));
  if (!(rtMin < rtMax)) throw invalidParameter(request.rtMax === undefined ? 'rtMin' : 'rtMax', `the retention-time range [${rtMin}, ${rtMax}) is empty: rtMin must be below rtMax`);
  if (!(mzMin < mzMax)) throw invalidParameter(request.mzMax === undefined ? 'mzMin' : 'mzMax', `the m/z range [${mzMin}, ${mzMax}) is empty: mzMin must be below mzMax`);
  const [defaultWidth, defaultHeight] = DEFAULT_SIZE[request.kind];
  const width = size(request.width, 'width', defaultWidth, request.kind === 'spectrum' ? 1 : limits.maxWidth);
  const height = size(request.height, 'height', defaultHeight, request.kind === 'chromatogram' ? 1 : limits.maxHeight);
  const aggregate = request.aggregate ?? DEFAULT_AGGREGATE[request.kind];
  if (!AGGREGATES.includes(aggregate)) throw invalidParameter('aggregate', `must be one of ${AGGREGATES.join(', ')}, got ${JSON.stringify(aggregate)}`);
  return {
    kind: request.kind, dataset: manifest.name, revision: manifest.revision, manifestSha256: revision.ref.sha256,
    files: entries.map((f) => f.id), rtMin, rtMax, mzMin, mzMax, width, height, aggregate,
  };
}

function selectFiles(request: QueryRequest, files: readonly DatasetFileEntry[], groups: Record<string, string[]>, dataset: string, maxFiles: number): DatasetFileEntry[] {
  if (request.files !== undefined && request.group !== undefined) throw invalidParameter('group', 'give files or a group, not both');
  let ids: readonly string[];
  if (request.group !== undefined) {
    const members = Object.hasOwn(groups, request.group) ? groups[request.group] : undefined;
    if (members === undefined) throw invalidParameter('group', `dataset ${dataset} has no group ${JSON.stringify(request.group)} (groups: ${Object.keys(groups).join(', ')})`);
    ids = members;
  } else if (request.files !== undefined) {
    if (request.files.length === 0) throw invalidParameter('files', 'name at least one file');
    ids = request.files;
  } else {
    throw invalidParameter('files', 'name the files to query (files=a,b) or a group (group=name)');
  }
  if (ids.length > maxFiles) throw invalidParameter(request.group !== undefined ? 'group' : 'files', `${ids.length} files is over the limit of ${maxFiles}`);
  const byId = new Map(files.map((f) => [f.id, f]));
  const seen = new Set<string>();
  for (const id of ids) {
    if (!byId.has(id)) throw invalidParameter('files', `dataset ${dataset} has no file ${JSON.stringify(id)}`);
    if (seen.has(id)) throw invalidParameter('files', `file ${id} is listed twice`);
    seen.add(id);
  }
  return [...seen].sort().map((id) => byId.get(id)!);
}

function bound(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParameter(name, `must be a finite number, got ${JSON.stringify(value)}`);
  return value;
}

function size(value: number | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw invalidParameter(name, max === 1 ? 'is fixed at 1 for this query' : `must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  return value;
}
