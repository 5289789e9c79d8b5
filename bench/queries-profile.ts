/**
 * @module bench/queries-profile
 * Where one 512 × 512 heatmap's time goes, phase by phase, all in this
 * thread (no queue, no workers): open the file (trailer and meta; cached
 * by the service, so paid once a file), plan, compute strips (ranged reads, CRC,
 * aggregate), encode and decode the strip answers as they travel, gather,
 * render the PNG. Over a generated dataset (under bench/.data/, reused),
 * for whole-file views and views zoomed 2–16× at random places, or only
 * views zoomed by a range of factors (`--zoom 2-4`: a user's first zoom).
 * Prints the bytes read against the float32 grid returned.
 *
 * ```
 * node --import tsx bench/queries-profile.ts [--views 40] [--bytes 100MB] [--zoom 2-4]
 * node --cpu-prof --cpu-prof-dir=.tmp --import tsx bench/queries-profile.ts
 * ```
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { decodeMessageBody, encodeMessageBody } from '../src/core/message-body.js';
import { computeStrip } from '../src/queries/compute/compute-strip.js';
import { openDatasetFile } from '../src/queries/format/dataset-file-reader.js';
import { decodeStripResult, emptyGrid, placeStrip } from '../src/queries/gather/assemble-grid.js';
import { planQuery } from '../src/queries/plan/plan-query.js';
import { DEFAULT_QUERY_LIMITS, normaliseQuery } from '../src/queries/query/normalise-query.js';
import { renderPng } from '../src/queries/render/render-png.js';
import { benchDataset, parseMegabytes } from './queries-load.js';

const { values: args } = parseArgs({ options: { views: { type: 'string', default: '40' }, bytes: { type: 'string', default: '100MB' }, zoom: { type: 'string' } } });
const bytes = parseMegabytes('--bytes', args.bytes);
const zoomRange = args.zoom === undefined ? undefined : parseZoom(args.zoom);
const data = await benchDataset(20, bytes);
const files = data.revision.manifest.files;

const phases = { open: 0, plan: 0, compute: 0, encodeStrips: 0, gather: 0, png: 0 };
let pngBytes = 0;
let bytesRead = 0;
let gridBytes = 0;
let seed = 7;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const views = Number(args.views);
for (let v = 0; v < views; v++) {
  const file = files[v % files.length]!;
  const zoom = zoomRange !== undefined ? zoomRange[0] + random() * (zoomRange[1] - zoomRange[0]) : v % 2 === 0 ? 1 : 2 + random() * 14;
  const rtSpan = (file.rtMax + 1 - file.rtMin) / zoom;
  const mzSpan = (file.mzMax - file.mzMin) / zoom;
  const rtMin = file.rtMin + random() * (file.rtMax + 1 - file.rtMin - rtSpan);
  const mzMin = file.mzMin + random() * (file.mzMax - file.mzMin - mzSpan);
  const query = normaliseQuery({ kind: 'heatmap', dataset: 'bench', files: [file.id], rtMin, rtMax: rtMin + rtSpan, mzMin, mzMax: mzMin + mzSpan, width: 512, height: 512 }, data.revision, DEFAULT_QUERY_LIMITS);
  let t = performance.now();
  const opened = await openDatasetFile(data.blobs, file.ref); // the service keeps opened files: this is paid once a file
  phases.open += performance.now() - t;
  t = performance.now();
  const plan = planQuery(query, [opened], { queryId: randomUUID(), deadlineAt: Date.now() + 60_000 });
  phases.plan += performance.now() - t;
  gridBytes += plan.rt.n * plan.mz.n * 4;
  const grid = emptyGrid(plan.rt, plan.mz);
  for (const [k, task] of plan.strips.entries()) {
    t = performance.now();
    const result = await computeStrip(task, data.blobs);
    phases.compute += performance.now() - t;
    bytesRead += result.bytesRead;
    t = performance.now();
    const travelled: unknown = decodeMessageBody(encodeMessageBody(result)); // what crossing a thread or process costs the strip
    phases.encodeStrips += performance.now() - t;
    t = performance.now();
    placeStrip(grid, plan.stripStarts[k]!, task, decodeStripResult(travelled, task).values);
    phases.gather += performance.now() - t;
  }
  t = performance.now();
  pngBytes += renderPng(grid, 512, 512, 'log').length;
  phases.png += performance.now() - t;
}
const total = Object.values(phases).reduce((a, b) => a + b, 0);
const which = zoomRange !== undefined ? `all zoomed ${zoomRange[0]}–${zoomRange[1]}×` : 'half whole-file, half zoomed 2–16×';
console.log(`${views} views of ${(bytes / 1e6).toFixed(0)} MB over 20 files (${which}); mean PNG ${(pngBytes / views / 1e3).toFixed(0)} kB; read ${(bytesRead / views / 1e6).toFixed(2)} MB a view, ${(bytesRead / gridBytes).toFixed(2)}× the float32 grid`);
for (const [phase, ms] of Object.entries(phases)) console.log(`  ${phase.padEnd(13)} ${(ms / views).toFixed(1).padStart(7)} ms/view  ${((ms / total) * 100).toFixed(0).padStart(3)}%`);
console.log(`  ${'total'.padEnd(13)} ${(total / views).toFixed(1).padStart(7)} ms/view`);

/** `--zoom 2-4`: zoom factors from 2 to 4. */
function parseZoom(text: string): [number, number] {
  const [lo, hi] = (/^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text) ?? []).slice(1).map(Number);
  if (lo === undefined || hi === undefined || lo < 1 || hi < lo) throw new Error(`--zoom must look like 2-4 (factors from 1 up), not ${text}`);
  return [lo, hi];
}
