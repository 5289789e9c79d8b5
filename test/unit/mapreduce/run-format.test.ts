/** Runs between map and reduce: sorted, partitioned, hashed, and read back verified. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileBlobStore } from '../../../src/adapters/embedded/file-blob-store.js';
import { encodeRun, partitionOf, readEntries, readPairs, segmentsOf, type Entry, type RunRef } from '../../../src/mapreduce/run-format.js';
import { assertJsonValue, encodeValue, jsonProblem } from '../../../src/mapreduce/json-value.js';
import { MapBuffer } from '../../../src/mapreduce/map-buffer.js';
import { createTempDir, type TempDir } from '../../helpers/temp-dir.js';

async function writeRun(blobs: FileBlobStore, key: string, values: Map<string, string>, partitions: number, sorted = true): Promise<RunRef> {
  const run: RunRef = { ref: undefined as never, bounds: [], sha256: [], sorted };
  const body = encodeRun(values.keys(), partitions, (k) => values.get(k)!, run);
  run.ref = await blobs.put(key, (async function* chunks() {
    yield* body;
  })());
  return run;
}

async function entriesOf(blobs: FileBlobStore, run: RunRef, partition: number, chunkBytes = 5): Promise<Entry[]> {
  const all: Entry[] = [];
  for (const segment of segmentsOf([run], partition)) for await (const batch of readEntries(blobs, segment, chunkBytes)) all.push(...batch);
  return all;
}

describe('run format', () => {
  let dir: TempDir;
  let blobs: FileBlobStore;
  before(() => {
    dir = createTempDir();
    blobs = new FileBlobStore({ root: dir.path });
  });
  after(async () => {
    await blobs.close();
    dir.remove();
  });

  it('writes each partition sorted by key, and reads back every entry (keys with quotes, tabs, non-ASCII)', async () => {
    const values = new Map([['zebra', '[1]'], ['a"quote', '[2]'], ['tab\there', '[3]'], ['日本', '["x"]'], ['apple', '[4,5]'], ['', '[6]']]);
    const run = await writeRun(blobs, 'runs/one', values, 3);
    assert.equal(run.bounds.length, 4);
    const read: Array<[string, string]> = [];
    for (let partition = 0; partition < 3; partition++) {
      const entries = await entriesOf(blobs, run, partition);
      assert.ok(entries.every((e) => partitionOf(e.key, 3) === partition));
      assert.deepEqual(entries.map((e) => e.key), entries.map((e) => e.key).sort());
      read.push(...entries.map((e): [string, string] => [e.key, e.json]));
    }
    assert.deepEqual(new Map(read), values);
  });

  it('writes a small run in first-emit order, and reads it back without an order check', async () => {
    const values = new Map([['zebra', '[1]'], ['apple', '[2]'], ['mango', '[3]']]);
    const run = await writeRun(blobs, 'runs/unsorted-ok', values, 1, false);
    assert.deepEqual((await entriesOf(blobs, run, 0)).map((e) => e.key), ['zebra', 'apple', 'mango']);
  });

  it('writes the same bytes for the same entries in any insertion order when sorted (what makes retries no-ops)', async () => {
    const entries: Array<[string, string]> = Array.from({ length: 500 }, (_, i) => [`key-${i}`, `[${i}]`]);
    const first = await writeRun(blobs, 'runs/order', new Map(entries), 4);
    const again = await writeRun(blobs, 'runs/order', new Map([...entries].reverse()), 4);
    assert.deepEqual(again, first);
  });

  it('detects a partition whose bytes do not match its hash', async () => {
    const run = await writeRun(blobs, 'runs/tampered', new Map([['a', '[1]'], ['b', '[2]']]), 1);
    const forged = { ...run, sha256: ['0'.repeat(64)] };
    await assert.rejects(entriesOf(blobs, forged, 0), { code: 'BLOB_HASH_MISMATCH', message: /bytes 0–\d+ of blob "runs\/tampered" do not match/ });
  });

  it('refuses keys out of order and lines that are not entries', async () => {
    const unsorted = await blobs.put('runs/unsorted', Buffer.from('"b"\t[1]\n"a"\t[2]\n'));
    const segment = { ref: unsorted, offset: 0, length: unsorted.size, sha256: unsorted.sha256, sorted: true };
    await assert.rejects(async () => {
      for await (const batch of readEntries(blobs, segment, 64)) void batch;
    }, { code: 'STORAGE_CORRUPT', message: /keys out of order \("b" then "a"\)/ });
    const garbage = await blobs.put('runs/garbage', Buffer.from('not an entry\n'));
    await assert.rejects(async () => {
      for await (const pair of readPairs(blobs, garbage)) void pair;
    }, { code: 'STORAGE_CORRUPT', message: /a line is not "key"<tab>value/ });
  });
});

describe('JSON values', () => {
  it('encodes plain JSON and names what is not, with its path', () => {
    assert.equal(encodeValue({ a: [1, 'x', null, true] }, () => 'here'), '{"a":[1,"x",null,true]}');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const cases: Array<[unknown, RegExp]> = [
      [Number.NaN, /NaN/], [undefined, /undefined/], [10n, /a BigInt \(use a number or a string\)/], [() => 1, /a function/],
      [new Map(), /a Map \(only plain objects/], [{ when: new Date(0) }, /a Date at \.when/], [{ list: [1, Number.POSITIVE_INFINITY] }, /Infinity at \.list\[1\]/],
      [cycle, /a circular reference at \.self/], [new Array<number>(1), /a hole in an array at \[0\]/],
    ];
    for (const [value, problem] of cases) {
      assert.throws(() => encodeValue(value, () => 'reduce of "job" returned for key "k" a value that'), { code: 'CODEC_INVALID_JSON', message: problem }, String(problem));
    }
    assert.throws(() => assertJsonValue(new Set([1]), () => 'finalize of "job" returned a value that'), { message: /^finalize of "job" returned a value that is not plain JSON: it holds a Set/ });
    assert.equal(jsonProblem(Object.create(null) as object), undefined);
  });

  it('names a bad key or value at the emit that made it', () => {
    const plain = new MapBuffer<unknown>('job', undefined);
    assert.throws(() => plain.emit(7 as unknown as string, 1), { code: 'CODEC_INVALID_JSON', message: /map of "job" emitted a key that is not a string \(number\)/ });
    assert.throws(() => plain.emit('k', new Map()), { code: 'CODEC_INVALID_JSON', message: /map of "job" emitted for key "k" a value that is not plain JSON: it holds a Map/ });
    const combining = new MapBuffer<number>('job', () => undefined as unknown as number);
    combining.emit('k', 1);
    assert.throws(() => combining.emit('k', 2), { code: 'CODEC_INVALID_JSON', message: /combine returned undefined for key "k" in "job"/ });
  });
});
