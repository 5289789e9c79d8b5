/**
 * @module mapreduce/reduce-runner
 * The body of a reduce task: merge its partition of every run, call
 * `reduce` once per key, write `mapreduce/<processId>/reduce-<partition>`
 * sorted by key. Two ways to merge, with the same result:
 *
 * - **Streaming** (any size): each run's partition is sorted, so the runs are
 *   read side by side through a min-heap of cursors, one chunk each in
 *   memory; memory is bounded by the number of runs, not the data.
 * - **In memory** (a partition under `mergeInMemoryBytes`, the usual case
 *   after a combiner): read every run into one hash map, sort the distinct
 *   keys once. When most keys appear in every run — page-hits: each split
 *   sees nearly every page — the heap compares each key with itself
 *   log₂(runs) times over; the map touches it once. Several times faster.
 *
 * Either way values reach `reduce` in run order (split order, then spill
 * order), so they arrive in the same order on every attempt and for any
 * number of workers. Small runs are written unsorted (see `run-format.ts`);
 * before streaming, each is sorted on its own into a scratch blob — one at
 * a time, so memory stays bounded by a small run.
 *
 * The runs' hashes are checked as each is read to its end, which is before
 * the output's `put` completes: corrupt input fails the task and publishes
 * nothing.
 */
import { MillraceError } from '../core/errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { TaskContext } from '../workers/task-definition.js';
import { encodeValue } from './json-value.js';
import type { MapReduceOptions, ReduceTaskInput, ReduceTaskOutput } from './map-reduce-types.js';
import { eachEntry, readEntries, readSegment, type Entry, type Segment } from './run-format.js';

/** Memory for read buffers, shared by the cursors: many runs get smaller chunks. */
const READ_BUDGET_BYTES = 64 * 1024 * 1024;
/** @defaultValue of `mergeInMemoryBytes`: a partition this small is merged in a hash map. */
export const DEFAULT_MERGE_IN_MEMORY_BYTES = 64 * 1024 * 1024;
const OUTPUT_PIECE_CHARS = 256 * 1024;
/** Segments read at once by the in-memory merge. */
const PARALLEL_READS = 8;

/** Runs the reduce side of `job` over one partition. */
export async function runReduce<V, R>(job: MapReduceOptions<V, R, unknown>, input: ReduceTaskInput, task: TaskContext): Promise<ReduceTaskOutput> {
  const chunkBytes = Math.max(64 * 1024, Math.min(4 * 1024 * 1024, Math.floor(READ_BUDGET_BYTES / Math.max(1, input.segments.length))));
  const counter = { keys: 0 };
  const key = `mapreduce/${input.processId}/reduce-${input.partition}`;
  const total = input.segments.reduce((sum, segment) => sum + segment.length, 0);
  const groups = total <= (job.mergeInMemoryBytes ?? DEFAULT_MERGE_IN_MEMORY_BYTES)
    ? mergeInMemory<V>(task.blobs, input.segments, task.signal)
    : mergeStreaming<V>(task.blobs, await sortedSegments(task.blobs, input.segments, `${key}-sorted`, task.signal), chunkBytes, task.signal);
  const ref = await task.blobs.put(key, reduceOutput(job, groups, counter));
  return { partition: input.partition, ref, keys: counter.keys };
}

/** Calls `reduce` on each key's values and writes the results, in pieces. */
async function* reduceOutput<V, R>(job: MapReduceOptions<V, R, unknown>, groups: AsyncGenerator<[string, V[]]>, counter: { keys: number }): AsyncGenerator<Buffer> {
  const reduce = job.reduce;
  let text = '';
  for await (const [key, values] of groups) {
    const result = reduce(key, values);
    text += `${JSON.stringify(key)}\t${encodeValue(result, () => `reduce of "${job.name}" returned for key ${JSON.stringify(key)} a value that`)}\n`;
    counter.keys++;
    if (text.length >= OUTPUT_PIECE_CHARS) {
      yield Buffer.from(text, 'utf8');
      text = '';
    }
  }
  if (text.length > 0) yield Buffer.from(text, 'utf8');
}

/** Every key with its values, in key order, read into a hash map. */
async function* mergeInMemory<V>(blobs: BlobStore, segments: readonly Segment[], signal: AbortSignal): AsyncGenerator<[string, V[]]> {
  // The segments are read side by side (a read waits on the disk, or on a thread of libuv's
  // pool on a busy machine) and merged in run order, which fixes the order of values.
  const reads: Array<Promise<Buffer>> = [];
  let next = 0;
  const readNext = (): void => {
    const segment = segments[next++];
    if (segment === undefined) return;
    const read = readSegment(blobs, segment);
    read.catch(() => undefined); // rejects when awaited; until then (or if never), it must not count as unhandled
    reads.push(read);
  };
  for (let i = 0; i < PARALLEL_READS; i++) readNext();
  // Values stay JSON text until their key's turn: one parse per key instead of one per run.
  const groups = new Map<string, string[]>();
  for (const [index, segment] of segments.entries()) {
    signal.throwIfAborted();
    const bytes = await reads[index]!;
    readNext();
    eachEntry(bytes, segment, (key, json) => {
      if (json.charCodeAt(0) !== 91 || json.charCodeAt(json.length - 1) !== 93) throw notAnArray(segment, key);
      const values = json.length === 2 ? undefined : json.slice(1, -1);
      const list = groups.get(key);
      if (list === undefined) groups.set(key, values === undefined ? [] : [values]);
      else if (values !== undefined) list.push(values);
    });
  }
  const keys = [...groups.keys()].sort();
  for (const key of keys) yield [key, JSON.parse(`[${groups.get(key)!.join(',')}]`) as V[]];
}

/** The segments, each unsorted one replaced by a sorted copy at `prefix-<index>` (same content: a retry rewrites it as a no-op). */
async function sortedSegments(blobs: BlobStore, segments: readonly Segment[], prefix: string, signal: AbortSignal): Promise<Segment[]> {
  const sorted: Segment[] = [];
  for (const [index, segment] of segments.entries()) {
    if (segment.sorted) {
      sorted.push(segment);
      continue;
    }
    const entries: Entry[] = [];
    for await (const batch of readEntries(blobs, segment, 1024 * 1024, signal)) for (const entry of batch) entries.push(entry);
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const lines = entries.map((entry) => `${JSON.stringify(entry.key)}\t${entry.json}\n`).join('');
    const ref = await blobs.put(`${prefix}-${index}`, Buffer.from(lines, 'utf8'));
    sorted.push({ ref, offset: 0, length: ref.size, sha256: ref.sha256, sorted: true });
  }
  return sorted;
}

/** Every key with its values, in key order, by a k-way merge of the sorted segments. */
async function* mergeStreaming<V>(blobs: BlobStore, segments: readonly Segment[], chunkBytes: number, signal: AbortSignal): AsyncGenerator<[string, V[]]> {
  const heap = new CursorHeap();
  for (const [order, segment] of segments.entries()) {
    const cursor = new Cursor(readEntries(blobs, segment, chunkBytes, signal), order, segment);
    if (await cursor.step()) heap.push(cursor);
  }
  while (heap.size > 0) {
    const first = heap.pop();
    const key = first.key;
    const values: V[] = first.values<V>();
    // Its next key is greater, so it cannot come back for this one. (`await` only when a read is due: most steps are synchronous.)
    let more = first.step();
    if (more !== true && more !== false) more = await more;
    if (more) heap.push(first);
    while (heap.size > 0 && heap.peek().key === key) {
      const cursor = heap.pop();
      for (const value of cursor.values<V>()) values.push(value);
      more = cursor.step();
      if (more !== true && more !== false) more = await more;
      if (more) heap.push(cursor);
    }
    yield [key, values];
  }
}

/** The current entry of one segment. */
class Cursor {
  key = '';
  private json = '';
  private batch: Entry[] = [];
  private index = -1;

  constructor(private readonly source: AsyncGenerator<Entry[]>, readonly order: number, private readonly segment: Segment) {}

  /** Moves to the next entry; true if there is one. Synchronous while the current batch lasts. */
  step(): boolean | Promise<boolean> {
    if (++this.index < this.batch.length) {
      this.load();
      return true;
    }
    return this.refill();
  }

  values<V>(): V[] {
    const values = JSON.parse(this.json) as unknown;
    if (!Array.isArray(values)) throw notAnArray(this.segment, this.key);
    return values as V[];
  }

  private async refill(): Promise<boolean> {
    for (;;) {
      const next = await this.source.next();
      if (next.done === true) return false;
      if (next.value.length === 0) continue;
      this.batch = next.value;
      this.index = 0;
      this.load();
      return true;
    }
  }

  private load(): void {
    const entry = this.batch[this.index]!;
    this.key = entry.key;
    this.json = entry.json;
  }
}

/** A binary min-heap of cursors by (key, order): the order breaks ties, which fixes the order of values. */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Cursor {
    return this.items[0]!;
  }

  push(cursor: Cursor): void {
    const items = this.items;
    let at = items.push(cursor) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!before(items[at]!, items[parent]!)) break;
      [items[at], items[parent]] = [items[parent]!, items[at]!];
      at = parent;
    }
  }

  pop(): Cursor {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let at = 0;
      for (;;) {
        const left = 2 * at + 1;
        const right = left + 1;
        let smallest = at;
        if (left < items.length && before(items[left]!, items[smallest]!)) smallest = left;
        if (right < items.length && before(items[right]!, items[smallest]!)) smallest = right;
        if (smallest === at) break;
        [items[at], items[smallest]] = [items[smallest]!, items[at]!];
        at = smallest;
      }
    }
    return top;
  }
}

function notAnArray(segment: Segment, key: string): MillraceError {
  return new MillraceError('STORAGE_CORRUPT', `blob "${segment.ref.key}": the values of key ${JSON.stringify(key)} are not a JSON array`, { key: segment.ref.key });
}

function before(a: Cursor, b: Cursor): boolean {
  return a.key < b.key || (a.key === b.key && a.order < b.order);
}
