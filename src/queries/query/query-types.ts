/**
 * @module queries/query/query-types
 * What a query asks and what it answers.
 *
 * Axes: retention time runs along x (the image's width, a chromatogram's
 * points), m/z along y (the image's height, a spectrum's points). A result
 * is a grid of **slots**: the range [min, max) of each axis cut into n equal
 * slots. A cell of the chosen level falls in the slot that holds its lower
 * edge (the retention time of its first scan, the m/z of its first bin);
 * each slot's value aggregates the base cells of the cells that fell in it.
 */

export type Aggregate = 'max' | 'sum' | 'mean';
export type QueryKind = 'heatmap' | 'chromatogram' | 'spectrum';
export const AGGREGATES: readonly Aggregate[] = ['max', 'sum', 'mean'];

/** A query as a caller states it; anything omitted gets a default. */
export interface QueryRequest {
  kind: QueryKind;
  dataset: string;
  /** File ids; or `group`. Several files (or a group) are averaged slot by slot. */
  files?: readonly string[];
  group?: string;
  /** Seconds, [rtMin, rtMax). @defaultValue the files' whole range */
  rtMin?: number;
  rtMax?: number;
  /** [mzMin, mzMax). @defaultValue the files' whole range */
  mzMin?: number;
  mzMax?: number;
  /** Slots along retention time: the image width, or a chromatogram's points. */
  width?: number;
  /** Slots along m/z: the image height, or a spectrum's points. */
  height?: number;
  /** @defaultValue `'max'` for heatmaps, `'sum'` for chromatograms and spectra */
  aggregate?: Aggregate;
}

/**
 * A query with every default filled and every name resolved. Two requests
 * with the same answer normalise to the same value (files sorted, the
 * dataset pinned to the revision read), which makes it the cache key.
 */
export interface NormalisedQuery {
  kind: QueryKind;
  dataset: string;
  revision: number;
  /** Hash of the manifest revision: the content every answer derives from. */
  manifestSha256: string;
  files: string[];
  rtMin: number;
  rtMax: number;
  mzMin: number;
  mzMax: number;
  width: number;
  height: number;
  aggregate: Aggregate;
}

/** One axis of a result: [min, max) in n equal slots. */
export interface AxisSlots {
  min: number;
  max: number;
  n: number;
}

/** A result grid; `values[mzSlot · rt.n + rtSlot]`. */
export interface QueryGrid {
  rt: AxisSlots;
  mz: AxisSlots;
  values: Float32Array;
}

/** Which level answered for each file. */
export interface LevelChoice {
  file: string;
  rt: number;
  mz: number;
}

export interface QueryStats {
  subtasks: number;
  /** Ranged reads and their bytes. */
  ranges: number;
  bytesRead: number;
  /** Subtask attempts beyond the first (timeouts and retryable failures). */
  retries: number;
}

export interface QueryResult {
  query: NormalisedQuery;
  grid: QueryGrid;
  levels: LevelChoice[];
  stats: QueryStats;
}
