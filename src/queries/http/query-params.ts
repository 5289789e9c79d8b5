/**
 * @module queries/http/query-params
 * URL query parameters to a `QueryRequest`, strictly: every parameter is
 * known for its route, given once, and well formed, or the answer is a 400
 * naming it. Numbers are plain decimals (no hex, no empty strings, no
 * `Infinity`).
 */
import { invalidParameter } from '../query-errors.js';
import { AGGREGATES, type Aggregate, type QueryKind, type QueryRequest } from '../query/query-types.js';
import { SCALES, type Scale } from '../render/colour-map.js';
import type { OutputFormat } from '../service/query-service.js';

/** What a route's parameters give. */
export interface ParsedQuery {
  request: QueryRequest;
  format: OutputFormat;
  scale?: Scale;
  /** The revision the client pins, if any (then the answer may be cached forever). */
  revision?: number;
}

const COMMON = ['files', 'group', 'rtMin', 'rtMax', 'mzMin', 'mzMax', 'aggregate', 'revision'];
const ALLOWED: Record<string, readonly string[]> = {
  'heatmap.png': [...COMMON, 'width', 'height', 'scale'],
  'heatmap.json': [...COMMON, 'width', 'height'],
  'heatmap.bin': [...COMMON, 'width', 'height'],
  chromatogram: [...COMMON, 'points', 'format'],
  spectrum: [...COMMON, 'points', 'format'],
};
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** @param route - `heatmap.png`, `heatmap.json`, `heatmap.bin`, `chromatogram` or `spectrum` */
export function parseQueryParams(route: string, dataset: string, raw: Record<string, unknown>): ParsedQuery {
  const allowed = ALLOWED[route]!;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!allowed.includes(name)) throw invalidParameter(name, `unknown parameter for ${route} (known: ${allowed.join(', ')})`);
    if (typeof value !== 'string') throw invalidParameter(name, 'given more than once');
    params[name] = value;
  }
  const kind: QueryKind = route.startsWith('heatmap') ? 'heatmap' : (route as QueryKind);
  const points = integer(params, 'points');
  const request: QueryRequest = {
    kind, dataset,
    files: params.files === undefined ? undefined : list(params.files),
    group: params.group,
    rtMin: number(params, 'rtMin'), rtMax: number(params, 'rtMax'), mzMin: number(params, 'mzMin'), mzMax: number(params, 'mzMax'),
    width: kind === 'chromatogram' ? points : integer(params, 'width'),
    height: kind === 'spectrum' ? points : integer(params, 'height'),
    aggregate: oneOf(params, 'aggregate', AGGREGATES) as Aggregate | undefined,
  };
  const format: OutputFormat = route === 'heatmap.png' ? 'png' : route === 'heatmap.bin' ? 'binary' : route === 'heatmap.json' ? 'json' : ((oneOf(params, 'format', ['json', 'binary']) ?? 'json') as OutputFormat);
  return { request, format, scale: oneOf(params, 'scale', SCALES) as Scale | undefined, revision: integer(params, 'revision') };
}

function list(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw invalidParameter('files', `expected comma-separated file ids, got ${JSON.stringify(value)}`);
  return items;
}

function number(params: Record<string, string>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!NUMBER.test(value.trim())) throw invalidParameter(name, `expected a number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function integer(params: Record<string, string>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value.trim())) throw invalidParameter(name, `expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function oneOf(params: Record<string, string>, name: string, values: readonly string[]): string | undefined {
  const value = params[name];
  if (value !== undefined && !values.includes(value)) throw invalidParameter(name, `expected one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}
