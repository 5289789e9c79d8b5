/**
 * @module queries/dataset/manifest
 * What a dataset is: its files (each a blob in the `.mrt` format), their
 * axes, and named groups of files. A manifest is immutable, stored as
 * `datasets/<name>/manifest/<revision>.json`; adding files writes the next
 * revision, and the highest revision is the dataset. Because every
 * revision and every file blob is immutable, a query over one revision
 * always has the same answer (the basis of result caching and ETags).
 *
 * Manifests are read back from storage and checked like any input.
 */
import type { BlobRef } from '../../ports/blob-store.js';
import { queryError } from '../query-errors.js';

/** Where a file came from. */
export type FileSource =
  | { kind: 'synthetic'; seed: number }
  | { kind: 'mzML'; file: string; spectra: number };

/** One file of a dataset, with what queries need to validate bounds without opening it. */
export interface DatasetFileEntry {
  /** Unique in the dataset; used in queries (`files=a,b`). */
  id: string;
  ref: BlobRef;
  scans: number;
  bins: number;
  /** Retention time of the first and last scan, seconds. */
  rtMin: number;
  rtMax: number;
  /** Lower edge of the first bin and upper edge of the last. */
  mzMin: number;
  mzMax: number;
  source: FileSource;
}

export interface DatasetManifest {
  format: 'millrace.dataset';
  version: 1;
  name: string;
  /** 1 for the first manifest; each change writes the next. */
  revision: number;
  createdAt: string;
  files: DatasetFileEntry[];
  /** Named sets of file ids; `all` always lists every file. */
  groups: Record<string, string[]>;
}

/** Dataset names, file ids and group names: letters, digits, `.`, `_`, `-`; 1–64 characters, not starting with `.` or `-`. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;

/** @throws `DATASET_INVALID` naming what is wrong */
export function assertName(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw queryError('DATASET_INVALID', `${what} ${JSON.stringify(value)} must be 1–64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`, { [what.replace(/\s/g, '')]: String(value).slice(0, 80) });
  }
}

/** Blob key of a dataset's file. */
export function fileKey(dataset: string, fileId: string): string {
  return `datasets/${dataset}/files/${fileId}.mrt`;
}

/** Blob key of a manifest revision (zero-padded so key order is revision order). */
export function manifestKey(dataset: string, revision: number): string {
  return `datasets/${dataset}/manifest/${String(revision).padStart(8, '0')}.json`;
}

/** Builds the next manifest from the previous one (or none) plus new files; `all` is kept complete. */
export function nextManifest(name: string, previous: DatasetManifest | undefined, added: readonly DatasetFileEntry[], groups: Record<string, string[]> = {}, now = new Date()): DatasetManifest {
  const files = [...(previous?.files ?? [])];
  for (const entry of added) {
    assertName(entry.id, 'file id');
    if (files.some((f) => f.id === entry.id)) throw queryError('DATASET_EXISTS', `dataset ${name} already has a file ${entry.id}`, { dataset: name, file: entry.id });
    files.push(entry);
  }
  const merged: Record<string, string[]> = { ...(previous?.groups ?? {}), ...groups, all: files.map((f) => f.id) };
  const manifest: DatasetManifest = { format: 'millrace.dataset', version: 1, name, revision: (previous?.revision ?? 0) + 1, createdAt: now.toISOString(), files, groups: merged };
  return parseManifest(JSON.parse(JSON.stringify(manifest)), name);
}

/** Checks a manifest read from storage. @throws `DATASET_INVALID` naming the field */
export function parseManifest(value: unknown, name: string): DatasetManifest {
  const bad = (field: string, expected: string): never => {
    throw queryError('DATASET_INVALID', `manifest of dataset ${name}: ${field} must be ${expected}`, { dataset: name, field });
  };
  if (typeof value !== 'object' || value === null) bad('the manifest', 'an object');
  const m = value as Record<string, unknown>;
  if (m.format !== 'millrace.dataset') bad('format', '"millrace.dataset"');
  if (m.version !== 1) bad('version', '1');
  if (m.name !== name) bad('name', JSON.stringify(name));
  if (!Number.isInteger(m.revision) || (m.revision as number) < 1) bad('revision', 'an integer ≥ 1');
  if (!Array.isArray(m.files) || m.files.length === 0) bad('files', 'a non-empty array');
  const ids = new Set<string>();
  (m.files as unknown[]).forEach((f, k) => {
    const e = f as Record<string, unknown>;
    const at = `files[${k}]`;
    if (typeof e !== 'object' || e === null) bad(at, 'an object');
    if (typeof e.id !== 'string' || !NAME_PATTERN.test(e.id) || ids.has(e.id)) bad(`${at}.id`, 'a unique file id');
    ids.add(e.id as string);
    const ref = e.ref as Record<string, unknown> | null;
    if (typeof ref !== 'object' || ref === null || typeof ref.key !== 'string' || typeof ref.store !== 'string' || typeof ref.sha256 !== 'string' || !Number.isSafeInteger(ref.size)) bad(`${at}.ref`, 'a blob reference');
    for (const field of ['scans', 'bins']) if (!Number.isInteger(e[field]) || (e[field] as number) < 1) bad(`${at}.${field}`, 'an integer ≥ 1');
    for (const field of ['rtMin', 'rtMax', 'mzMin', 'mzMax']) if (typeof e[field] !== 'number' || !Number.isFinite(e[field])) bad(`${at}.${field}`, 'a finite number');
    if ((e.rtMax as number) < (e.rtMin as number) || (e.mzMax as number) <= (e.mzMin as number)) bad(`${at} axes`, 'ordered (min ≤ max)');
  });
  if (typeof m.groups !== 'object' || m.groups === null || Array.isArray(m.groups)) bad('groups', 'an object');
  for (const [group, members] of Object.entries(m.groups as Record<string, unknown>)) {
    if (!NAME_PATTERN.test(group)) bad(`groups.${group}`, 'a valid group name');
    if (!Array.isArray(members) || members.length === 0 || !members.every((id) => typeof id === 'string' && ids.has(id))) bad(`groups.${group}`, 'a non-empty list of file ids of this dataset');
  }
  return value as DatasetManifest;
}
