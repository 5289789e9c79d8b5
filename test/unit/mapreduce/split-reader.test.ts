/** Split alignment: every record is read by exactly one split, whatever the split and chunk sizes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { BlobRef, BlobStore } from '../../../src/ports/blob-store.js';
import { eachLine } from '../../../src/mapreduce/line-decoder.js';
import { readSplit, type SplitBlock } from '../../../src/mapreduce/split-reader.js';

/** Just enough of a blob store for the reader: ranged reads over one buffer, counted. */
function memoryBlob(content: string | Buffer): { blobs: BlobStore; ref: BlobRef; reads: () => number } {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const ref: BlobRef = { store: 'memory', key: 'input', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  let reads = 0;
  const blobs = {
    name: 'memory',
    getRange: async (_ref: BlobRef, offset: number, length: number) => {
      reads++;
      assert.ok(offset >= 0 && length > 0 && offset + length <= bytes.length, `read ${offset}+${length} outside 0–${bytes.length}`);
      return bytes.subarray(offset, offset + length);
    },
  } as unknown as BlobStore;
  return { blobs, ref, reads: () => reads };
}

async function recordsOf(content: string | Buffer, start: number, end: number, chunkBytes: number, maxRecordBytes?: number): Promise<Array<[string, number]>> {
  const { blobs, ref } = memoryBlob(content);
  const records: Array<[string, number]> = [];
  for await (const block of readSplit(blobs, ref, start, end, { chunkBytes, maxRecordBytes })) records.push(...recordsIn(block));
  return records;
}

function recordsIn(block: SplitBlock): Array<[string, number]> {
  if (block.kind === 'oversized') return [[`<oversized ${block.head.length}>`, block.offset]];
  const records: Array<[string, number]> = [];
  eachLine(block.bytes, (line, at) => records.push([line, block.offset + at]));
  return records;
}

/** What the records of `content` are, by definition: lines, `\r\n` or `\n`, no record after a final newline. */
function expected(content: string): Array<[string, number]> {
  const records: Array<[string, number]> = [];
  let offset = 0;
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    records.push([line.endsWith('\r') ? line.slice(0, -1) : line, offset]);
    offset += Buffer.byteLength(line) + 1;
  }
  return records;
}

/** Reads `content` cut into ranges of `width` bytes and returns all records in order. */
async function readInRanges(content: string, width: number, chunkBytes: number): Promise<Array<[string, number]>> {
  const size = Buffer.byteLength(content);
  const all: Array<[string, number]> = [];
  for (let start = 0; start < size; start += width) all.push(...await recordsOf(content, start, Math.min(size, start + width), chunkBytes));
  return all;
}

const CASES: Record<string, string> = {
  'short lines': 'a\nbb\nccc\n\ndddd\ne\n',
  'no trailing newline': 'first\nsecond\nthird',
  'CRLF line endings': 'one\r\ntwo\r\n\r\nthree\r\n',
  'multi-byte UTF-8 across chunk edges': 'café\n日本語のテキスト\nemoji 😀😀\nß\n',
  'one long record': `${'x'.repeat(100)}\nshort\n`,
  'only newlines': '\n\n\n',
  'a single record without newline': 'lonely',
};

describe('readSplit', () => {
  for (const [name, content] of Object.entries(CASES)) {
    it(`reads each record exactly once (${name}), for every split width and chunk size`, async () => {
      const size = Buffer.byteLength(content);
      for (const width of [1, 2, 3, 5, 7, 16, size]) {
        for (const chunkBytes of [1, 2, 4, 64]) {
          assert.deepEqual(await readInRanges(content, width, chunkBytes), expected(content), `width ${width}, chunk ${chunkBytes}`);
        }
      }
    });
  }

  it('reads nothing from empty input', async () => {
    assert.deepEqual(await recordsOf('', 0, 0, 8), []);
  });

  it('gives a split inside one long record nothing: the split where it starts owns it', async () => {
    const content = `head\n${'y'.repeat(50)}\ntail\n`;
    assert.deepEqual(await recordsOf(content, 10, 30, 4), []);
    assert.deepEqual(await recordsOf(content, 0, 10, 4), [['head', 0], ['y'.repeat(50), 5]]);
    assert.deepEqual(await recordsOf(content, 30, content.length, 4), [['tail', 56]]);
  });

  it('assigns a record that starts exactly at a split end to that split, as Hadoop does', async () => {
    const content = 'abc\ndef\nghi\n'; // "def" starts at 4
    assert.deepEqual(await recordsOf(content, 0, 4, 2), [['abc', 0], ['def', 4]]);
    assert.deepEqual(await recordsOf(content, 4, 12, 2), [['ghi', 8]]);
  });

  it('skips a record longer than maxRecordBytes, reports where it starts, and goes on', async () => {
    const content = `ok\n${'z'.repeat(40)}\nafter\n`;
    assert.deepEqual(await recordsOf(content, 0, content.length, 4, 16), [['ok', 0], ['<oversized 17>', 3], ['after', 44]]);
  });

  it('matches a reference on random inputs (random widths and chunk sizes)', async () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['a', 'b', 'é', '中', '\r', ' ', '😀'];
    for (let round = 0; round < 40; round++) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 30) }, () => Array.from({ length: Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]!).join(''));
      const content = lines.join('\n') + (random() < 0.5 ? '\n' : '');
      const width = 1 + Math.floor(random() * 40);
      const chunkBytes = 1 + Math.floor(random() * 20);
      assert.deepEqual(await readInRanges(content, width, chunkBytes), expected(content), JSON.stringify({ content, width, chunkBytes }));
    }
  });

  it('reads a split in bounded chunks and stops shortly after its end', async () => {
    const line = `${'r'.repeat(99)}\n`;
    const { blobs, ref, reads } = memoryBlob(line.repeat(10_000)); // 1 MB
    let records = 0;
    for await (const block of readSplit(blobs, ref, 0, 100_000, { chunkBytes: 10_000 })) records += recordsIn(block).length;
    assert.equal(records, 1001); // 0..99 999 owns the lines starting at 0, 100, …, 100 000
    assert.ok(reads() <= 11, `${reads()} reads`);
  });

  it('keeps readAhead reads in flight while the consumer works, and yields the same records at any depth', async () => {
    const line = `${'r'.repeat(99)}\n`;
    const content = Buffer.from(line.repeat(2_000)); // 200 kB
    let inFlight = 0;
    let most = 0;
    const ref: BlobRef = { store: 'memory', key: 'input', size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
    const blobs = {
      name: 'memory',
      getRange: async (_ref: BlobRef, offset: number, length: number) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return content.subarray(offset, offset + length);
      },
    } as unknown as BlobStore;
    const read = async (readAhead: number, start: number, end: number): Promise<Array<[string, number]>> => {
      const records: Array<[string, number]> = [];
      for await (const block of readSplit(blobs, ref, start, end, { chunkBytes: 7_000, readAhead })) records.push(...recordsIn(block));
      return records;
    };
    const one = await read(1, 50_050, 150_050);
    assert.equal(most, 1);
    most = 0;
    assert.deepEqual(await read(3, 50_050, 150_050), one);
    assert.equal(most, 3, 'three reads at once');
    assert.equal(one.length, 1000);
  });

  it("reads as the store's rangeReads hint says when not told otherwise, and 1 MiB two ahead without one", async () => {
    const content = Buffer.from(`${'h'.repeat(99)}\n`.repeat(40_000)); // 4 MB
    const ref: BlobRef = { store: 'memory', key: 'input', size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
    const pattern = async (rangeReads: BlobStore['rangeReads']): Promise<{ first: number; most: number; records: number }> => {
      let inFlight = 0;
      let most = 0;
      const lengths: number[] = [];
      const blobs = {
        name: 'memory',
        rangeReads,
        getRange: async (_ref: BlobRef, offset: number, length: number) => {
          lengths.push(length);
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 1));
          inFlight--;
          return content.subarray(offset, offset + length);
        },
      } as unknown as BlobStore;
      let records = 0;
      for await (const block of readSplit(blobs, ref, 0, content.length)) records += recordsIn(block).length;
      return { first: lengths[0]!, most, records };
    };
    assert.deepEqual(await pattern({ chunkBytes: 512 * 1024, inFlight: 5 }), { first: 512 * 1024, most: 5, records: 40_000 });
    assert.deepEqual(await pattern(undefined), { first: 1024 * 1024, most: 2, records: 40_000 });
  });

  it('goes on from where a short read ended, reading again what was queued behind it', async () => {
    const content = Buffer.from(`${'x'.repeat(9)}\n`.repeat(100)); // 1,000 bytes
    const ref: BlobRef = { store: 'memory', key: 'input', size: content.length, sha256: createHash('sha256').update(content).digest('hex') };
    let first = true;
    const blobs = {
      name: 'memory',
      getRange: async (_ref: BlobRef, offset: number, length: number) => {
        // The first read returns less than asked (a store may, near a boundary); the rest are whole.
        const take = first ? Math.min(length, 35) : length;
        first = false;
        return content.subarray(offset, offset + take);
      },
    } as unknown as BlobStore;
    const records: Array<[string, number]> = [];
    for await (const block of readSplit(blobs, ref, 0, 1_000, { chunkBytes: 100, readAhead: 4 })) records.push(...recordsIn(block));
    assert.deepEqual(records, expected(content.toString()));
  });
});
