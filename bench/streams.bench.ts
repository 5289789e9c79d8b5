/**
 * @module bench/streams
 * Per-key sliding count: 20 M synthetic events (1,000 keys, 1 ms apart),
 * count per key over (a) a 60 s range and (b) a 24 h range, both sliding
 * every 1 s — a result per key and second, about one result per event.
 *
 * ```
 *  events (materialised once, shared) ──▶ millrace-<range>   createWindowOperator(sliding, count); watermark once per event-second
 *                                     ──▶ hand-loop-<range>  slice rows + running sums: the limit
 *                                     ──▶ rxjs-<range>       groupBy + scan + mergeMap: the peer (on a prefix)
 * ```
 *
 * Every row returns a checksum (results, sum of counts), compared with the
 * hand loop's for the same events: a row that computes something else fails.
 * Rows read the same event objects. Each timed run starts after a full
 * garbage collection (outside the clock): with 20 M live objects a major
 * collection costs seconds, and one left over by the previous row must not
 * land in the next row's time. Major collections that happen *inside* a
 * run are the row's own and are reported with it.
 *
 * Rates are events per **CPU-second** of this process (user + system, GC
 * threads included), not per wall-clock second: the rows are single-threaded
 * loops, and on a shared machine other processes' load moves wall-clock
 * time by 2× between runs while CPU time stays put. The wall-clock rate of
 * each run is printed beside it. On a quiet machine the two agree, except
 * that CPU time also counts the garbage collector's helper threads.
 *
 * Rows carry their range twice, as metric (`60s`, `24h`) and in the system
 * name (`millrace-60s`), because the harness pairs ratios by system name. `millrace-60s/millrace-24h` is the
 * per-event cost of the 24 h range over the 60 s one (rates are inverse to
 * costs).
 */
import { createRequire } from 'node:module';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { count as countAggregate } from '../src/streams/aggregates/numeric-aggregates.js';
import { createWindowOperator } from '../src/streams/windows/create-window-operator.js';
import type { WindowOutput } from '../src/streams/windows/window-output.js';
import { sliding } from '../src/streams/windows/window-spec.js';
import type { Benchmark, BenchOptions, Peer } from './harness.js';
import { handLoop, rxjsPipeline, SLICE_MS, type BenchEvent, type Checksum } from './streams-peers.js';

const KEYS = 1_000;
const SEED = 0x5eed;
const WARM_UP_EVENTS = 200_000;
const SCENARIOS = [
  { name: '60s', rangeMs: 60_000 },
  { name: '24h', rangeMs: 86_400_000 },
] as const;
type Scenario = (typeof SCENARIOS)[number];

export const streamsBenchmark: Benchmark = {
  name: 'streams',
  title: 'per-key sliding count, 1 s slide, 60 s and 24 h ranges',
  unit: 'events/CPU-s',
  higherIsBetter: true,
  workload: (options) => `${eventCount(options).toLocaleString('en-US')} events (${KEYS.toLocaleString('en-US')} keys, 1 ms apart) materialised once; rxjs rows on the first ${rxjsCount(options).toLocaleString('en-US')}`,
  peers: (options) => SCENARIOS.flatMap((scenario) => [millracePeer(options, scenario), handLoopPeer(options, scenario), rxjsPeer(options, scenario)]),
  ratios: [
    ['millrace-60s', 'hand-loop-60s'], ['millrace-24h', 'hand-loop-24h'],
    ['millrace-60s', 'rxjs-60s'], ['millrace-24h', 'rxjs-24h'],
    ['millrace-60s', 'millrace-24h'],
  ],
  runTimeoutMs: (options) => (options.quick ? 60_000 : 300_000),
};

function eventCount(options: BenchOptions): number {
  return options.quick ? 2_000_000 : 20_000_000;
}

/** RxJS does well under 1 M events/s; a prefix keeps its runs short, and a rate per event compares across sizes. */
function rxjsCount(options: BenchOptions): number {
  return options.quick ? 200_000 : 2_000_000;
}

/** The Millrace row: the keyed sliding-count operator, fed the events, the watermark advanced as event time passes. */
export function millraceLoop(events: readonly BenchEvent[], count: number, rangeMs: number, endMs: number): Checksum {
  const operator = createWindowOperator({ window: sliding({ range: rangeMs, slide: SLICE_MS }), aggregate: countAggregate });
  const checksum: Checksum = { results: 0, total: 0 };
  const take = (output: WindowOutput<unknown, number>): void => {
    for (const { values } of output.panes) {
      checksum.results += values.length;
      for (let i = 0; i < values.length; i++) checksum.total += values[i]!;
    }
  };
  let next = SLICE_MS;
  for (let i = 0; i < count; i++) {
    const event = events[i]!;
    if (event.time >= next) {
      // In time order, so everything before this event's time is in: that is the watermark.
      take(operator.advanceWatermark(0, event.time));
      next = (Math.floor(event.time / SLICE_MS) + 1) * SLICE_MS;
    }
    operator.add(event.key, event.time, event);
  }
  take(operator.advanceWatermark(0, endMs));
  return checksum;
}

function millracePeer(options: BenchOptions, scenario: Scenario): Peer {
  return timedPeer(`millrace-${scenario.name}`, options, eventCount(options), scenario,
    async () => 'createWindowOperator({ window: sliding({ range, slide: 1 s }), aggregate: count }), one partition; add() per event, advanceWatermark() once per event-second; results consumed (summed)',
    (events, count) => millraceLoop(events, count, scenario.rangeMs, count));
}

function handLoopPeer(options: BenchOptions, scenario: Scenario): Peer {
  return timedPeer(`hand-loop-${scenario.name}`, options, eventCount(options), scenario,
    async () => 'Map key → index, slice-major rows of counts + running sum per key, rows allocated as reached and reused; knows there are 1,000 keys and that events are in order',
    (events, count) => handLoop(events, count, scenario.rangeMs / SLICE_MS, count, KEYS));
}

function rxjsPeer(options: BenchOptions, scenario: Scenario): Peer {
  return timedPeer(`rxjs-${scenario.name}`, options, rxjsCount(options), scenario,
    async () => `RxJS ${rxjsVersion()}: from(events).pipe(groupBy(key), mergeMap(g => g.pipe(endWith(end), scan(slice counts + sum), mergeMap(closed ranges)))); first ${rxjsCount(options).toLocaleString('en-US')} events`,
    (events, count) => rxjsPipeline(events, count, scenario.rangeMs / SLICE_MS, count));
}

function timedPeer(system: string, options: BenchOptions, count: number, scenario: Scenario, conditions: () => Promise<string>, loop: (events: readonly BenchEvent[], count: number) => Checksum): Peer {
  let warm = false;
  return {
    system,
    metric: scenario.name,
    conditions,
    run: async () => {
      const all = materialise(eventCount(options));
      if (!warm) {
        loop(all, WARM_UP_EVENTS);
        warm = true;
      }
      const expected = reference(all, count, scenario);
      collectGarbage();
      await settle();
      const collections = watchMajorCollections();
      const startCpu = process.cpuUsage();
      const start = performance.now();
      const checksum = loop(all, count);
      const wallMs = performance.now() - start;
      const cpu = process.cpuUsage(startCpu);
      const seconds = (cpu.user + cpu.system) / 1e6;
      await settle();
      const majors = collections.stop(start, start + wallMs);
      if (checksum.results !== expected.results || checksum.total !== expected.total) {
        throw new Error(`${system} computed ${JSON.stringify(checksum)}, the hand loop ${JSON.stringify(expected)}`);
      }
      const gcNote = majors.count > 0 ? `, ${majors.count} major GC (${Math.round(majors.ms)} ms)` : '';
      console.log(`    ${system}: ${formatRate(count / (wallMs / 1000))} events per wall-clock second${gcNote}`);
      return count / seconds;
    },
  };
}

let materialised: BenchEvent[] | undefined;

/** The events, built once per process (seeded): keys drawn uniformly from 1,000, times 0, 1, 2, … ms. */
function materialise(count: number): BenchEvent[] {
  if (materialised?.length === count) return materialised;
  const names = Array.from({ length: KEYS }, (_, i) => `key-${String(i).padStart(4, '0')}`);
  const events: BenchEvent[] = [];
  let state = SEED;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    events.push({ key: names[(state >>> 0) % KEYS]!, time: i });
  }
  materialised = events;
  return events;
}

const references = new Map<string, Checksum>();

/** The hand loop's answer for the first `count` events, computed once, off the clock. */
function reference(events: readonly BenchEvent[], count: number, scenario: Scenario): Checksum {
  const id = `${scenario.name}/${count}`;
  let checksum = references.get(id);
  if (checksum === undefined) {
    checksum = handLoop(events, count, scenario.rangeMs / SLICE_MS, count, KEYS);
    references.set(id, checksum);
  }
  return checksum;
}

let fullCollection: (() => void) | undefined | null = null;

/** A full collection before the clock starts, so no row inherits another's garbage. */
function collectGarbage(): void {
  if (fullCollection === null) fullCollection = exposeGc();
  fullCollection?.();
}

/** Major collections (anything but a scavenge) that start between two times, observed only while a run is timed. */
function watchMajorCollections(): { stop: (from: number, to: number) => { count: number; ms: number } } {
  const entries: Array<{ start: number; ms: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // kind 1 is a scavenge (young generation); the others mark the whole heap.
      if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind !== 1) entries.push({ start: entry.startTime, ms: entry.duration });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: (from, to) => {
      observer.disconnect();
      const inside = entries.filter((entry) => entry.start >= from && entry.start <= to);
      return { count: inside.length, ms: inside.reduce((sum, entry) => sum + entry.ms, 0) };
    },
  };
}

/** `gc()` without `--expose-gc` on the command line: set the flag, then take the function from a fresh context. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString('en-US');
}

/** Lets pending callbacks (GC observer entries) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function rxjsVersion(): string {
  const pkg = createRequire(import.meta.url)('rxjs/package.json') as { version?: string };
  return pkg.version ?? 'unknown';
}
