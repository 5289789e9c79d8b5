/**
 * The viewer's calls to the dataset query routes. A heatmap is fetched
 * (not put in an <img src>) so the request carries the session's token
 * and the answer's headers — the axes the image actually covers, widened
 * to whole cells, and the top of its colour scale — come with it; the
 * image is shown from an object URL (the page's CSP allows `blob:`).
 */
import type { DatasetFileEntry } from '../../../src/queries/dataset/manifest.js';
import { ApiError, api, storedToken } from '../api.js';
import type { Aggregate, Range, Scale } from './view-state.js';

/** An axis of an answer: its range and number of slots. */
export interface Axis {
  min: number;
  max: number;
  n: number;
}

export interface Heatmap {
  /** An object URL: revoke it when the image is replaced. */
  url: string;
  rt: Axis;
  mz: Axis;
  /** The largest slot value, the top of the colour scale. */
  max: number;
  cached: boolean;
}

/** A file as `GET /api/datasets/:name` lists it: the manifest's entry, without its blob ref and source. */
export type DatasetFileInfo = Pick<DatasetFileEntry, 'id' | 'scans' | 'bins' | 'rtMin' | 'rtMax' | 'mzMin' | 'mzMax'>;

export interface DatasetInfo {
  name: string;
  revision: number;
  groups: Record<string, string[]>;
  files: DatasetFileInfo[];
}

export interface QueryParams {
  dataset: string;
  selection: Record<string, string>;
  aggregate: Aggregate;
  rt: Range | undefined;
  mz: Range | undefined;
}

export function fetchDatasets(): Promise<{ datasets: Array<{ name: string }> }> {
  return api('/api/datasets');
}

export function fetchDataset(name: string): Promise<DatasetInfo> {
  return api(`/api/datasets/${encodeURIComponent(name)}`);
}

export async function fetchHeatmap(params: QueryParams, size: { width: number; height: number }, scale: Scale, signal: AbortSignal): Promise<Heatmap> {
  const response = await get(route(params, 'heatmap.png', { width: String(size.width), height: String(size.height), scale }), signal);
  const url = URL.createObjectURL(await response.blob());
  return {
    url, rt: axis(response.headers.get('x-millrace-rt')), mz: axis(response.headers.get('x-millrace-mz')),
    max: Number(response.headers.get('x-millrace-max') ?? 0), cached: response.headers.get('x-millrace-cache') === 'hit',
  };
}

/** X/Y points of a chromatogram (x = RT) or a spectrum (x = m/z). */
export async function fetchProfile(kind: 'chromatogram' | 'spectrum', params: QueryParams, points: number, signal: AbortSignal): Promise<{ x: number[]; y: number[] }> {
  const response = await get(route(params, kind, { points: String(points), format: 'json' }), signal);
  return (await response.json()) as { x: number[]; y: number[] };
}

function route(params: QueryParams, path: string, extra: Record<string, string>): string {
  const query = new URLSearchParams({ ...params.selection, aggregate: params.aggregate, ...extra });
  if (params.rt !== undefined) {
    query.set('rtMin', String(params.rt[0]));
    query.set('rtMax', String(params.rt[1]));
  }
  if (params.mz !== undefined) {
    query.set('mzMin', String(params.mz[0]));
    query.set('mzMax', String(params.mz[1]));
  }
  return `/api/datasets/${encodeURIComponent(params.dataset)}/${path}?${query.toString()}`;
}

async function get(path: string, signal: AbortSignal): Promise<Response> {
  const token = storedToken();
  const response = await fetch(path, { signal, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  if (response.ok) return response;
  let body: { error?: { code?: string; message?: string } } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not JSON: keep the status line
  }
  throw new ApiError(response.status, body.error?.code ?? `HTTP_${response.status}`, body.error?.message ?? response.statusText);
}

function axis(header: string | null): Axis {
  const [min = 0, max = 1, n = 1] = (header ?? '').split(',').map(Number);
  return { min, max, n };
}
