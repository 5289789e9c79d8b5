/**
 * @module bench/queries-load
 * The pieces of the queries benchmark that run in the benchmark's own
 * process: the generated dataset (kept between runs under bench/.data/),
 * and simulated users who zoom and pan through 512 × 512 heatmaps over
 * HTTP against a server in another process (bench/queries-systems.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileBlobStore } from '../src/adapters/embedded/file-blob-store.js';
import { findDataset, type DatasetRevision } from '../src/queries/dataset/dataset-catalog.js';
import { generateDataset } from '../src/queries/generate/generate-dataset.js';

/** Generated datasets, kept between runs (git-ignored): the 4 GB one takes minutes to write. */
export const BENCH_DATA = fileURLToPath(new URL('./.data/queries/', import.meta.url));

export interface BenchDataset {
  root: string;
  blobs: FileBlobStore;
  revision: DatasetRevision;
  rawBytes: number;
  storedBytes: number;
}

/** The dataset, generated on first use and reused by later runs with the same shape. */
export async function benchDataset(files: number, totalBytes: number): Promise<BenchDataset> {
  const root = join(BENCH_DATA, `${files}x${totalBytes}`);
  mkdirSync(root, { recursive: true });
  const blobs = new FileBlobStore({ root: join(root, 'blobs') });
  let revision = await findDataset(blobs, 'bench');
  if (revision === undefined) {
    const started = Date.now();
    let last = 0;
    revision = await generateDataset({
      blobs, name: 'bench', files, totalBytes, seed: 42,
      onProgress: (p) => {
        if (Date.now() - last < 5_000) return;
        last = Date.now();
        console.log(`  generating: ${p.scansDone}/${p.scansTotal} scans`);
      },
    });
    console.log(`  generated ${files} files in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const files_ = revision.manifest.files;
  return { root, blobs, revision, rawBytes: files_.reduce((s, f) => s + f.scans * f.bins * 4, 0), storedBytes: files_.reduce((s, f) => s + f.ref.size, 0) };
}

/** One request's outcome. */
export interface Sample {
  ms: number;
  status: number;
  hit: boolean;
  /** Bytes the computation read (0 for a cache hit). */
  bytesRead: number;
  bytesReturned: number;
  /** Slots of the answer × 4 bytes: the grid as float32. */
  gridBytes: number;
  /** Zoom depth: 0 is the whole file. */
  depth: number;
  /** Epoch ms the request was sent. */
  sentAt: number;
}

interface View { file: string; rtMin: number; rtMax: number; mzMin: number; mzMax: number }

/**
 * A round's warm-up, not measured: threads load and compile their modules,
 * files are opened, code gets hot. 20 users for 3 s without thinking, on
 * images 511 pixels tall, so that none of their answers is in the cache for
 * the measured users.
 */
export function warmUp(baseUrl: string, revision: DatasetRevision, round: number): Promise<Sample[]> {
  return simulateUsers(baseUrl, revision, { users: 20, durationMs: 3_000, thinkMs: [0, 0], seed: round + 1001, height: 511 });
}

/** A round's thinking users: each waits 0.5–1.5 s after an answer before the next request. */
export function thinkingUsers(baseUrl: string, revision: DatasetRevision, round: number, users: number, durationMs: number): Promise<Sample[]> {
  return simulateUsers(baseUrl, revision, { users, durationMs, thinkMs: [500, 1500], seed: round + 1 });
}

/** A size flag such as `--bytes 400MB`, in bytes. */
export function parseMegabytes(flag: string, text: string): number {
  const bytes = Number(/^(\d+)MB$/i.exec(text)?.[1] ?? NaN) * 1e6;
  if (!Number.isFinite(bytes)) throw new Error(`${flag} must look like 400MB, not ${text}`);
  return bytes;
}

/** Users who zoom in, pan and zoom out through one file each, for `durationMs`. */
export async function simulateUsers(baseUrl: string, revision: DatasetRevision, options: { users: number; durationMs: number; thinkMs: [number, number]; seed: number; height?: number }): Promise<Sample[]> {
  const samples: Sample[] = [];
  const endAt = Date.now() + options.durationMs;
  let state = options.seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0;
    return state / 2 ** 32;
  };
  const files = revision.manifest.files;
  const user = async (): Promise<void> => {
    const entry = files[Math.floor(random() * files.length)]!;
    const full: View = { file: entry.id, rtMin: entry.rtMin, rtMax: entry.rtMax + 1, mzMin: entry.mzMin, mzMax: entry.mzMax };
    const stack: View[] = [full];
    await sleep(random() * options.thinkMs[1]); // users arrive spread out
    while (Date.now() < endAt) {
      const view = stack.at(-1)!;
      samples.push(await request(baseUrl, view, stack.length - 1, options.height ?? 512));
      const choice = random();
      if (stack.length === 1 || (choice < 0.4 && stack.length < 6)) stack.push(zoomIn(view, 2 + random() * 2, random(), random()));
      else if (choice < 0.7) stack[stack.length - 1] = pan(view, random() - 0.5, random() - 0.5, full);
      else stack.pop();
      const [lo, hi] = options.thinkMs;
      if (hi > 0) await sleep(lo + random() * (hi - lo));
    }
  };
  await Promise.all(Array.from({ length: options.users }, user));
  return samples;
}

async function request(baseUrl: string, view: View, depth: number, height: number): Promise<Sample> {
  const url = `${baseUrl}/api/datasets/bench/heatmap.png?files=${view.file}&rtMin=${round(view.rtMin)}&rtMax=${round(view.rtMax)}&mzMin=${round(view.mzMin)}&mzMax=${round(view.mzMax)}&width=512&height=${height}`;
  const started = performance.now();
  const sentAt = Date.now();
  let response: Response;
  let bytesReturned: number;
  try {
    response = await fetch(url);
    bytesReturned = (await response.arrayBuffer()).byteLength;
  } catch {
    return { ms: performance.now() - started, status: 0, hit: false, depth, sentAt, bytesRead: 0, bytesReturned: 0, gridBytes: 0 };
  }
  const ms = performance.now() - started;
  const header = (name: string): string => response.headers.get(name) ?? '';
  const hit = header('x-millrace-cache') === 'hit';
  const [, , rtN] = (header('x-millrace-rt') || '0,0,0').split(',').map(Number);
  const [, , mzN] = (header('x-millrace-mz') || '0,0,0').split(',').map(Number);
  return {
    ms, status: response.status, hit, depth, sentAt,
    bytesRead: hit ? 0 : Number(header('x-millrace-bytes-read') || 0),
    bytesReturned,
    gridBytes: (rtN ?? 0) * (mzN ?? 0) * 4,
  };
}

function zoomIn(view: View, factor: number, x: number, y: number): View {
  const rtSpan = (view.rtMax - view.rtMin) / factor;
  const mzSpan = (view.mzMax - view.mzMin) / factor;
  const rtMin = view.rtMin + x * (view.rtMax - view.rtMin - rtSpan);
  const mzMin = view.mzMin + y * (view.mzMax - view.mzMin - mzSpan);
  return { file: view.file, rtMin, rtMax: rtMin + rtSpan, mzMin, mzMax: mzMin + mzSpan };
}

function pan(view: View, dx: number, dy: number, full: View): View {
  const rtSpan = view.rtMax - view.rtMin;
  const mzSpan = view.mzMax - view.mzMin;
  const rtMin = Math.min(Math.max(full.rtMin, view.rtMin + dx * rtSpan), full.rtMax - rtSpan);
  const mzMin = Math.min(Math.max(full.mzMin, view.mzMin + dy * mzSpan), full.mzMax - mzSpan);
  return { file: view.file, rtMin, rtMax: rtMin + rtSpan, mzMin, mzMax: mzMin + mzSpan };
}

function round(v: number): string {
  return v.toFixed(4);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
