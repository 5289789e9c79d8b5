/**
 * How long `GET /api/workers` takes to read worker heartbeats back from the
 * Log: the first look (paging back through the last 10 minutes) and later
 * looks (only what arrived since). Standalone:
 * `node --import tsx bench/worker-directory.ts [workers] [minutes]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLog } from '../src/adapters/embedded/sqlite-log.js';
import { ManualClock } from '../src/core/clock.js';
import { WorkerDirectory, WORKERS_TOPIC } from '../src/runtime/worker-directory.js';

const workers = Number(process.argv[2] ?? 100);
const minutes = Number(process.argv[3] ?? 120);
const beatMs = 5000;
const dir = mkdtempSync(join(tmpdir(), 'millrace-worker-directory-'));
const log = new SqliteLog({ path: join(dir, 'log.db') });
try {
  await log.createTopic(WORKERS_TOPIC, { partitions: 1 });
  const start = 1_000_000_000;
  const beats = (minutes * 60_000) / beatMs;
  for (let b = 0; b < beats; b++) {
    const at = start + b * beatMs;
    await log.append(WORKERS_TOPIC, Array.from({ length: workers }, (_, w) => ({
      key: `w${w}`, timestamp: at,
      value: { id: `w${w}`, host: 'h', pid: w, tags: ['v2'], kinds: ['a', 'b'], queues: ['tasks'], threads: 4, concurrency: 64, inFlight: 3, done: b, failed: 0, startedAt: start, beatAt: at, intervalMs: beatMs },
    })));
  }
  const directory = new WorkerDirectory(log, new ManualClock(start + beats * beatMs));
  let started = performance.now();
  const listed = await directory.list();
  const firstLookMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < 20; i++) await directory.list();
  const laterLookMs = (performance.now() - started) / 20;
  process.stdout.write(`${JSON.stringify({ beatsOnTopic: beats * workers, workersListed: listed.length, firstLookMs: Math.round(firstLookMs), laterLookMs: Number(laterLookMs.toFixed(2)) })}\n`);
} finally {
  await log.close();
  rmSync(dir, { recursive: true });
}
