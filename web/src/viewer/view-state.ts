/**
 * What the viewer shows, as a value that round-trips through the page's
 * URL (so a view can be shared or reloaded), and the arithmetic of zooming
 * and panning a range. Pure: no DOM, no fetches.
 */

export type Aggregate = 'max' | 'sum' | 'mean';
export type Scale = 'linear' | 'log';
export const AGGREGATES: readonly Aggregate[] = ['max', 'sum', 'mean'];
export const SCALES: readonly Scale[] = ['log', 'linear'];

/** A half-open range [lo, hi). */
export type Range = readonly [lo: number, hi: number];

export interface ViewerState {
  dataset: string | undefined;
  /** File ids; ignored when a group is chosen. */
  files: string[];
  group: string | undefined;
  aggregate: Aggregate;
  scale: Scale;
  /** Undefined: the files' whole range. */
  rt: Range | undefined;
  mz: Range | undefined;
}

export function readViewerState(query: URLSearchParams): ViewerState {
  const aggregate = query.get('aggregate');
  const scale = query.get('scale');
  const files = query.get('files');
  return {
    dataset: query.get('dataset') ?? undefined,
    files: files === null || files === '' ? [] : files.split(','),
    group: query.get('group') ?? undefined,
    aggregate: AGGREGATES.includes(aggregate as Aggregate) ? (aggregate as Aggregate) : 'max',
    scale: SCALES.includes(scale as Scale) ? (scale as Scale) : 'log',
    rt: readRange(query.get('rt')),
    mz: readRange(query.get('mz')),
  };
}

/** The page's path and query for a state (defaults left out). */
export function viewerHref(state: ViewerState): string {
  const query = new URLSearchParams();
  if (state.dataset !== undefined) query.set('dataset', state.dataset);
  if (state.group !== undefined) query.set('group', state.group);
  else if (state.files.length > 0) query.set('files', state.files.join(','));
  if (state.aggregate !== 'max') query.set('aggregate', state.aggregate);
  if (state.scale !== 'log') query.set('scale', state.scale);
  if (state.rt !== undefined) query.set('rt', writeRange(state.rt));
  if (state.mz !== undefined) query.set('mz', writeRange(state.mz));
  const text = query.toString().replaceAll('%2C', ',');
  return text === '' ? '/viewer' : `/viewer?${text}`;
}

/** The query parameters naming the files of a state (`group` or `files`), or undefined when none is chosen. */
export function selection(state: ViewerState): Record<string, string> | undefined {
  if (state.group !== undefined) return { group: state.group };
  if (state.files.length > 0) return { files: state.files.join(',') };
  return undefined;
}

function readRange(text: string | null): Range | undefined {
  if (text === null) return undefined;
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) return undefined;
  return [parts[0]!, parts[1]!];
}

/** Six significant digits: enough for a pixel of any zoom the data allows, short enough to read. */
function writeRange(range: Range): string {
  return `${Number(range[0].toPrecision(8))},${Number(range[1].toPrecision(8))}`;
}

/**
 * `range` zoomed by `factor` (> 1 zooms in) about the point at `at`
 * (0 = lo, 1 = hi), kept inside `limits` and no narrower than `minSpan`.
 */
export function zoomRange(range: Range, factor: number, at: number, limits: Range, minSpan: number): Range {
  const span = Math.min(limits[1] - limits[0], Math.max(minSpan, (range[1] - range[0]) / factor));
  const pivot = range[0] + at * (range[1] - range[0]);
  return clampRange([pivot - at * span, pivot - at * span + span], limits);
}

/** `range` moved by `fraction` of its span (positive: towards hi), kept inside `limits`. */
export function panRange(range: Range, fraction: number, limits: Range): Range {
  const shift = fraction * (range[1] - range[0]);
  return clampRange([range[0] + shift, range[1] + shift], limits);
}

/** The part of `range` between fractions `a` and `b` of it (in either order). */
export function subRange(range: Range, a: number, b: number): Range {
  const span = range[1] - range[0];
  const [from, to] = a < b ? [a, b] : [b, a];
  return [range[0] + Math.max(0, from) * span, range[0] + Math.min(1, to) * span];
}

/** Slides (never shrinks, unless wider than the limits) a range into `limits`. */
export function clampRange(range: Range, limits: Range): Range {
  const span = Math.min(range[1] - range[0], limits[1] - limits[0]);
  const lo = Math.min(Math.max(range[0], limits[0]), limits[1] - span);
  return [lo, lo + span];
}
